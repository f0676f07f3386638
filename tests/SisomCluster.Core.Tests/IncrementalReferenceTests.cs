using SisomCluster.Core.Neighbours;
using SisomCluster.Core.Reference;
using SisomCluster.Core.Scoring;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>
/// Incremental margins and leave-one-out neighbours (<see cref="ReferenceState.Update"/>, SISOM.md §4, §6): every update —
/// added items, removed items (also the neighbours others' margins came from), relabelled items, exact duplicates and
/// tied distances — gives the from-scratch answer. Distances are compared to 1e-12 relative (they are the same kernel
/// sums, so in practice bit-identical) and neighbour indices exactly, ties included.
/// </summary>
public sealed class IncrementalReferenceTests
{
    private static readonly NeighbourSearchOptions Search = new() { QueryBlockSize = 7, ReferenceBlockSize = 5 };

    [Theory]
    [InlineData(1, ScoringPrecision.Float32)]
    [InlineData(2, ScoringPrecision.Float64)]
    public void Adding_items_gives_the_from_scratch_state(int seed, ScoringPrecision precision)
    {
        Universe u = Universe.Gaussian(seed, 400, 12, classes: 4, precision);
        int[] before = Enumerable.Range(0, 400).Where(i => i % 5 != 0).ToArray();
        Step(u, before, u.Labels, Enumerable.Range(0, 400).ToArray(), u.Labels, expectFullAtMost: 80);
    }

    [Fact]
    public void Removing_items_recomputes_exactly_those_whose_neighbour_left()
    {
        Universe u = Universe.Gaussian(3, 300, 8, classes: 3, ScoringPrecision.Float32);
        int[] before = Enumerable.Range(0, 300).ToArray();
        ReferenceState old = ReferenceState.Compute(u.States(before), u.Labels, Search);

        // Remove the margin neighbours of the first ten items and a few more: their dependants must be searched again.
        var removed = new HashSet<int>(Enumerable.Range(0, 10).Select(i => old.MarginNeighbours[i]).Concat([5, 77, 150]));
        int[] after = before.Where(i => !removed.Contains(i)).ToArray();
        ReferenceState updated = Step(u, before, u.Labels, after, u.Labels, expectFullAtMost: int.MaxValue);
        int dependants = before.Count(i => !removed.Contains(i) && (removed.Contains(old.MarginNeighbours[i]) || removed.Contains(old.LooNeighbours[i])));
        Assert.Equal(dependants, updated.FullSearches);
        Assert.InRange(dependants, 10, after.Length - 1);
    }

    [Fact]
    public void A_relabelled_item_leaves_and_comes_back_as_new()
    {
        Universe u = Universe.Gaussian(4, 240, 6, classes: 3, ScoringPrecision.Float32);
        int[] all = Enumerable.Range(0, 240).ToArray();
        ReferenceState old = ReferenceState.Compute(u.States(all), u.Labels, Search);

        // Relabel items that are margin and leave-one-out neighbours of others, plus one that gets a class of its own.
        int[] labels = (int[])u.Labels.Clone();
        foreach (int i in new[] { old.MarginNeighbours[0], old.LooNeighbours[1], 17 })
        {
            labels[i] = (labels[i] + 1) % 3;
        }

        labels[33] = 3;
        Step(u, all, u.Labels, all, labels, expectFullAtMost: int.MaxValue);
    }

    [Fact]
    public void Duplicates_and_tied_distances_break_ties_as_a_search_from_scratch()
    {
        // Coordinates in {0, 1, 2}: many exact duplicates (margins and d_in of 0) and many exactly tied distances, where the
        // lowest index decides a(t) and therefore which margin divides d_in.
        Universe u = Universe.Grid(5, 500, 4, classes: 3);
        var random = new Random(6);
        int[] current = Enumerable.Range(0, 500).Where(_ => random.NextDouble() < 0.6).ToArray();
        int[] labels = u.Labels;
        for (int round = 0; round < 4; round++)
        {
            int[] next = Enumerable.Range(0, 500).Where(i => current.Contains(i) ? random.NextDouble() < 0.9 : random.NextDouble() < 0.15).ToArray();
            int[] nextLabels = (int[])labels.Clone();
            foreach (int i in next.Where(_ => random.NextDouble() < 0.05))
            {
                nextLabels[i] = random.Next(3);
            }

            Step(u, current, labels, next, nextLabels, expectFullAtMost: int.MaxValue);
            current = next;
            labels = nextLabels;
        }

        ReferenceState state = ReferenceState.Compute(u.States(current), Pick(labels, current), Search);
        Assert.Contains(0.0, state.Margins);
        Assert.Contains(0.0, state.LooDistances);
        Assert.Contains(DistanceRatios.ZeroMarginRatio, state.LooRatios());
    }

    [Fact]
    public void A_chain_of_updates_stays_exact()
    {
        Universe u = Universe.Gaussian(7, 600, 10, classes: 5, ScoringPrecision.Float32);
        int[] current = Enumerable.Range(0, 100).ToArray();
        ReferenceState state = ReferenceState.Compute(u.States(current), u.Labels[..100], Search);
        for (int end = 150; end <= 600; end += 50)
        {
            int[] next = Enumerable.Range(0, end).Where(i => i % 17 != end % 17).ToArray();
            state = ReferenceState.Update(state, u.States(next), Pick(u.Labels, next), PreviousIndex(current, u.Labels, next, u.Labels), Search);
            AssertSame(ReferenceState.Compute(u.States(next), Pick(u.Labels, next), Search), state);
            current = next;
        }
    }

    [Fact]
    public void A_class_alone_has_no_leave_one_out_neighbour_and_a_single_class_no_margin()
    {
        Universe u = Universe.Gaussian(8, 30, 4, classes: 2, ScoringPrecision.Float32);
        int[] classZero = Enumerable.Range(0, 30).Where(i => u.Labels[i] == 0).ToArray();
        ReferenceState one = ReferenceState.Compute(u.States(classZero), Pick(u.Labels, classZero), Search);
        Assert.All(one.Margins, m => Assert.Equal(double.PositiveInfinity, m));
        Assert.All(one.MarginNeighbours, m => Assert.Equal(-1, m));

        // Adding the other class gives every old item a margin; the new class's first item has no same-class neighbour.
        int[] withOne = classZero.Append(1).Order().ToArray();
        Step(u, classZero, u.Labels, withOne, u.Labels, expectFullAtMost: 1);
        ReferenceState state = ReferenceState.Compute(u.States(withOne), Pick(u.Labels, withOne), Search);
        int lone = Array.IndexOf(withOne, 1);
        Assert.Equal(-1, state.LooNeighbours[lone]);
        Assert.Equal(double.PositiveInfinity, state.LooRatios()[lone]);
    }

    [Fact]
    public void Build_with_reuse_gives_the_from_scratch_context_at_every_alpha()
    {
        (States.LinearHead head, FeatureMatrix features, int[] labels) = Synthetic.Clusters(9, 500, 4, 16);
        var options = new ScoringContextOptions { Search = Search, KnnK = 5 };
        int[] before = Enumerable.Range(0, 500).Where(i => i % 4 != 1).ToArray();
        ScoringContext previous = ScoringContext.Build(head, Rows(features, before), Pick(labels, before), options);
        Assert.Equal(options.AlphaGrid.Count, previous.ReferenceStates.Count);

        int[] after = Enumerable.Range(0, 500).Where(i => i != before[3] && i != before[10]).ToArray();
        var reuse = new ReferenceReuse(previous.ReferenceStates, PreviousIndex(before, labels, after, labels));
        ScoringContext updated = ScoringContext.Build(head, Rows(features, after), Pick(labels, after), options, reuse: reuse);
        ScoringContext scratch = ScoringContext.Build(head, Rows(features, after), Pick(labels, after), options);

        Assert.Equal(scratch.Alpha, updated.Alpha);
        Assert.Equal(scratch.AlphaGrid.Select(a => a.RAvg), updated.AlphaGrid.Select(a => a.RAvg));
        Assert.Equal(scratch.Statistics, updated.Statistics);
        Assert.Equal(scratch.ThresholdSisom, updated.ThresholdSisom);
        Assert.Equal(scratch.ThresholdSisome, updated.ThresholdSisome);
        Assert.Equal(scratch.Reference.Margins, updated.Reference.Margins);
        foreach (double alpha in options.AlphaGrid)
        {
            AssertSame(scratch.ReferenceStates[alpha], updated.ReferenceStates[alpha]);
            Assert.True(updated.ReferenceStates[alpha].FullSearches < after.Length / 2, $"alpha {alpha}: {updated.ReferenceStates[alpha].FullSearches} full searches");
        }
    }

    [Fact]
    public void Bad_mappings_are_refused_with_the_reason()
    {
        Universe u = Universe.Gaussian(10, 20, 4, classes: 2, ScoringPrecision.Float32);
        int[] all = Enumerable.Range(0, 20).ToArray();
        ReferenceState old = ReferenceState.Compute(u.States(all), u.Labels, Search);
        int[] identity = PreviousIndex(all, u.Labels, all, u.Labels);

        int[] swapped = (int[])identity.Clone();
        (swapped[2], swapped[4]) = (swapped[4], swapped[2]);
        Assert.Contains("keep their order", Assert.Throws<ArgumentException>(() => ReferenceState.Update(old, u.States(all), u.Labels, swapped, Search)).Message, StringComparison.Ordinal);

        int[] relabelled = (int[])u.Labels.Clone();
        relabelled[4] = 1 - relabelled[4];
        Assert.Contains("a relabelled item is a new item", Assert.Throws<ArgumentException>(() => ReferenceState.Update(old, u.States(all), relabelled, identity, Search)).Message, StringComparison.Ordinal);

        int[] outside = (int[])identity.Clone();
        outside[19] = 20;
        Assert.Contains("not an index into the previous", Assert.Throws<ArgumentException>(() => ReferenceState.Update(old, u.States(all), u.Labels, outside, Search)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ReferenceState.Update(old, u.States(all), u.Labels, identity.AsSpan(0, 5), Search));
        Assert.Contains("same label", Assert.Throws<ArgumentException>(() => ReferenceState.FromParts(u.Labels, old.Margins, old.LooNeighbours, old.LooNeighbours, old.LooDistances)).Message, StringComparison.Ordinal);
    }

    /// <summary>One update from (before, labels) to (after, afterLabels) against the from-scratch answer.</summary>
    private static ReferenceState Step(Universe u, int[] before, int[] labels, int[] after, int[] afterLabels, int expectFullAtMost)
    {
        ReferenceState old = ReferenceState.Compute(u.States(before), Pick(labels, before), Search);
        int[] previousIndex = PreviousIndex(before, labels, after, afterLabels);
        ReferenceState updated = ReferenceState.Update(old, u.States(after), Pick(afterLabels, after), previousIndex, Search);
        AssertSame(ReferenceState.Compute(u.States(after), Pick(afterLabels, after), Search), updated);
        Assert.True(updated.FullSearches <= expectFullAtMost, $"{updated.FullSearches} full searches, at most {expectFullAtMost} expected");
        return updated;
    }

    private static void AssertSame(ReferenceState expected, ReferenceState actual)
    {
        Assert.Equal(expected.Labels, actual.Labels);
        for (int i = 0; i < expected.Count; i++)
        {
            Close(expected.Margins[i], actual.Margins[i], $"margin {i}");
            Close(expected.LooDistances[i], actual.LooDistances[i], $"d_in {i}");
        }

        // a(t) decides which margin divides d_in: the same item, ties included. The margin neighbour may differ only on a tie.
        Assert.Equal(expected.LooNeighbours, actual.LooNeighbours);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(expected.MarginNeighbours[i] == actual.MarginNeighbours[i] || expected.Margins[i] == actual.Margins[i], $"margin neighbour {i}");
        }

        Assert.Equal(expected.LooRatios(), actual.LooRatios());
    }

    private static void Close(double expected, double actual, string what)
    {
        if (expected == actual)
        {
            return;
        }

        Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Abs(expected), $"{what}: {actual} vs from scratch {expected}");
    }

    private static int[] PreviousIndex(int[] before, int[] labels, int[] after, int[] afterLabels)
    {
        var position = new Dictionary<int, int>();
        for (int i = 0; i < before.Length; i++)
        {
            position[before[i]] = i;
        }

        return after.Select(id => position.TryGetValue(id, out int p) && labels[id] == afterLabels[id] ? p : -1).ToArray();
    }

    private static int[] Pick(int[] values, int[] rows) => rows.Select(r => values[r]).ToArray();

    private static FeatureMatrix Rows(FeatureMatrix m, int[] rows)
    {
        var data = new float[rows.Length * m.Columns];
        for (int i = 0; i < rows.Length; i++)
        {
            m.Row(rows[i]).CopyTo(data.AsSpan(i * m.Columns, m.Columns));
        }

        return new FeatureMatrix(data, rows.Length, m.Columns);
    }

    /// <summary>Items 0..N−1 (their index is their id) with a state vector and a label each.</summary>
    private sealed record Universe(FeatureMatrix Values, int[] Labels, ScoringPrecision Precision)
    {
        public static Universe Gaussian(int seed, int count, int dimension, int classes, ScoringPrecision precision)
        {
            (_, FeatureMatrix features, int[] labels) = Synthetic.Clusters(seed, count, classes, dimension, spread: 1.0);
            return new Universe(features, labels, precision);
        }

        public static Universe Grid(int seed, int count, int dimension, int classes)
        {
            var random = new Random(seed);
            var data = new float[count * dimension];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = random.Next(3);
            }

            return new Universe(new FeatureMatrix(data, count, dimension), Enumerable.Range(0, count).Select(_ => random.Next(classes)).ToArray(), ScoringPrecision.Float32);
        }

        public StateMatrix States(int[] rows)
        {
            FeatureMatrix values = Rows(Values, rows);
            return Precision == ScoringPrecision.Float64 ? new StateMatrix(values, values.Data.Select(v => (double)v).ToArray()) : values;
        }
    }
}
