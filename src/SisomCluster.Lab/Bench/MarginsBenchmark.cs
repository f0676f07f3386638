using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SisomCluster.Cli;
using SisomCluster.Core;
using SisomCluster.Core.Neighbours;
using SisomCluster.Core.Reference;
using SisomCluster.Inference.Files;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// <c>sisom bench margins</c>: a new reference-set version's margins and leave-one-out neighbours (SISOM.md §4, §6) updated
/// from the previous version (<see cref="ReferenceState.Update"/>, O(n·|T|·D)) against computed from scratch
/// (<see cref="ReferenceState.Compute"/>, O(|T|²·D)) in the same process, on the same synthetic states; the two answers
/// are compared (largest difference, equal neighbours).
/// </summary>
public static class MarginsBenchmark
{
    /// <summary>One figure: <paramref name="Id"/> names the change (add n, remove n).</summary>
    public sealed record Result(
        string Id,
        int References,
        int Dimension,
        int Classes,
        int Added,
        int Removed,
        double ScratchSeconds,
        double UpdateSeconds,
        double Speedup,
        int FullSearches,
        double MaxMarginDifference,
        double MaxDInDifference,
        bool NeighboursEqual,
        bool BitIdentical);

    public static Command CreateCommand()
    {
        var references = new Option<int>("--references") { Description = "|T| of the previous reference-set version.", DefaultValueFactory = _ => 50_000 };
        var dimension = new Option<int>("--dimension") { Description = "State length D.", DefaultValueFactory = _ => 512 };
        var classes = new Option<int>("--classes") { Description = "Classes K (labels i mod K).", DefaultValueFactory = _ => 10 };
        var change = new Option<int>("--change") { Description = "Labels added (and, in the second figure, removed).", DefaultValueFactory = _ => 500 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file.", HelpName = "FILE" };
        var command = new Command(
            "margins",
            "Incremental margins and leave-one-out neighbours: adding (then removing) n labels to |T| updated from the previous reference-set version vs recomputed from scratch, same process, answers compared." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom bench margins --references 50000 --dimension 512 --change 500 --json margins.json")
        {
            references, dimension, classes, change, seed, json,
        };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            int t = parse.GetValue(references);
            int d = parse.GetValue(dimension);
            int k = parse.GetValue(classes);
            int n = parse.GetValue(change);
            if (t < 2 || d < 1 || k < 2 || n < 1 || n >= t)
            {
                throw new UsageException("--references >= 2, --dimension >= 1, --classes >= 2 and 1 <= --change < --references are needed.");
            }

            output.WriteLine($"{Environment.ProcessorCount} cores; |T| = {t}, D = {d}, K = {k}, n = {n}");
            IReadOnlyList<Result> results = Run(t, d, k, n, parse.GetValue(seed), line => output.WriteLine($"  {line}"));
            output.WriteLine();
            output.WriteLine($"{"id",-34} {"scratch s",10} {"update s",10} {"speedup",8} {"full searches",13} {"max |Δm|",10} {"max |Δd_in|",11} {"a(t) equal",10} {"bit-identical",13}");
            foreach (Result r in results)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Id,-34} {r.ScratchSeconds,10:F2} {r.UpdateSeconds,10:F3} {r.Speedup,8:F0} {r.FullSearches,13} {r.MaxMarginDifference,10:G3} {r.MaxDInDifference,11:G3} {r.NeighboursEqual,10} {r.BitIdentical,13}"));
            }

            if (parse.GetValue(json) is { } path)
            {
                using AtomicFile file = AtomicFile.Create(path);
                JsonSerializer.Serialize(file.Stream, new { cores = Environment.ProcessorCount, results }, BenchCommand.Json);
                file.Commit();
                output.WriteLine($"wrote {path}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Two figures: |T| items, then n more added (<c>add</c>); then n of the |T| + n removed at random (<c>remove</c>).
    /// Each: the update from the previous state and the from-scratch state of the new set, timed back to back.
    /// </summary>
    public static IReadOnlyList<Result> Run(int references, int dimension, int classes, int change, int seed, Action<string>? progress = null)
    {
        var random = new Random(seed);
        int total = references + change;
        var data = new float[(long)total * dimension];
        for (long i = 0; i < data.Length; i++)
        {
            data[i] = (float)random.NextDouble();
        }

        var all = new FeatureMatrix(data, total, dimension);
        int[] labels = Enumerable.Range(0, total).Select(i => i % classes).ToArray();

        // The n added items are spread over the id order (every (|T|/n)-th id), as new labels are over a pool.
        var addedIds = new HashSet<int>(Enumerable.Range(0, change).Select(j => (int)((long)j * total / change)));
        int[] before = Enumerable.Range(0, total).Where(i => !addedIds.Contains(i)).ToArray();
        int[] after = Enumerable.Range(0, total).ToArray();
        var search = NeighbourSearchOptions.Default;

        progress?.Invoke($"previous version from scratch (|T| = {before.Length})");
        ReferenceState previous = ReferenceState.Compute(Rows(all, before), Pick(labels, before), search);
        (Result add, ReferenceState grown) = Figure($"margins.add{change}.t{references}.d{dimension}", previous, all, labels, before, after, search, progress);
        var results = new List<Result> { add };

        var removed = new HashSet<int>();
        while (removed.Count < change)
        {
            removed.Add(random.Next(total));
        }

        // The grown set's from-scratch state is the previous version of the removal.
        int[] shrunk = after.Where(i => !removed.Contains(i)).ToArray();
        results.Add(Figure($"margins.remove{change}.t{total}.d{dimension}", grown, all, labels, after, shrunk, search, progress).Result);
        return results;
    }

    private static (Result Result, ReferenceState Scratch) Figure(string id, ReferenceState previous, FeatureMatrix all, int[] labels, int[] before, int[] after, NeighbourSearchOptions search, Action<string>? progress)
    {
        var position = new Dictionary<int, int>(before.Length);
        for (int i = 0; i < before.Length; i++)
        {
            position[before[i]] = i;
        }

        int[] previousIndex = after.Select(i => position.TryGetValue(i, out int p) ? p : -1).ToArray();
        StateMatrix states = Rows(all, after);
        int[] afterLabels = Pick(labels, after);

        progress?.Invoke($"{id}: update");
        var clock = Stopwatch.StartNew();
        ReferenceState updated = ReferenceState.Update(previous, states, afterLabels, previousIndex, search);
        double update = clock.Elapsed.TotalSeconds;

        progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{id}: update {update:F3} s; from scratch"));
        clock.Restart();
        ReferenceState scratch = ReferenceState.Compute(states, afterLabels, search);
        double full = clock.Elapsed.TotalSeconds;

        double dm = 0, dd = 0;
        bool identical = true;
        for (int i = 0; i < after.Length; i++)
        {
            dm = Math.Max(dm, Difference(scratch.Margins[i], updated.Margins[i]));
            dd = Math.Max(dd, Difference(scratch.LooDistances[i], updated.LooDistances[i]));
            identical &= BitConverter.DoubleToInt64Bits(scratch.Margins[i]) == BitConverter.DoubleToInt64Bits(updated.Margins[i])
                && BitConverter.DoubleToInt64Bits(scratch.LooDistances[i]) == BitConverter.DoubleToInt64Bits(updated.LooDistances[i]);
        }

        bool neighbours = scratch.LooNeighbours.AsSpan().SequenceEqual(updated.LooNeighbours);
        var result = new Result(id, before.Length, all.Columns, labels.Max() + 1, after.Count(i => !ContainsSorted(before, i)), before.Count(i => !ContainsSorted(after, i)), full, update, full / update, updated.FullSearches, dm, dd, neighbours, identical && neighbours);
        progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{id}: from scratch {full:F2} s"));
        return (result, scratch);
    }

    private static bool ContainsSorted(int[] sorted, int value) => Array.BinarySearch(sorted, value) >= 0;

    private static double Difference(double a, double b) => a == b ? 0 : Math.Abs(a - b);

    private static int[] Pick(int[] values, int[] rows) => rows.Select(r => values[r]).ToArray();

    private static FeatureMatrix Rows(FeatureMatrix m, int[] rows)
    {
        var data = new float[(long)rows.Length * m.Columns];
        for (int i = 0; i < rows.Length; i++)
        {
            m.Row(rows[i]).CopyTo(data.AsSpan(i * m.Columns, m.Columns));
        }

        return new FeatureMatrix(data, rows.Length, m.Columns);
    }
}
