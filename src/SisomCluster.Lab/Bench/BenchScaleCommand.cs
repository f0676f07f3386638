using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SisomCluster.Cli;
using SisomCluster.Cli.Cluster;
using SisomCluster.Inference.Files;

namespace SisomCluster.Lab.Bench;

/// <summary><c>sisom bench scale</c>: see <see cref="ScaleBenchmark"/>; the figures of docs/SCALING.md.</summary>
internal static class BenchScaleCommand
{
    public static Command Create()
    {
        Option<string?> connection = ConnectionOption.Create();
        var rabbit = new Option<string?>("--rabbitmq") { Description = "RabbitMQ URI; default: the ConnectionStrings__RabbitMq environment variable.", HelpName = "URI" };
        var server = new Option<string?>("--server") { Description = "sisom-server.dll; default: the one built beside this CLI.", HelpName = "PATH" };
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated pool sizes (stored 512-d embeddings), one cluster run each; 10⁷ needs ~21 GB for the .npy and ~4 GB of database.", DefaultValueFactory = _ => "1000000" };
        var references = new Option<int>("--references") { Description = "Labeled rows |T|.", DefaultValueFactory = _ => 1000 };
        var dimension = new Option<int>("--dimension") { Description = "Embedding dimension D.", DefaultValueFactory = _ => 512 };
        var workers = new Option<int>("--workers") { Description = "Worker processes.", DefaultValueFactory = _ => 1 };
        var shardSize = new Option<int>("--shard-size") { Description = "Items per shard.", DefaultValueFactory = _ => 10_000 };
        var embeddingsRun = new Option<bool>("--embeddings-run") { Description = "Also re-score the smallest pool once more with stored embeddings: bytes per item with vector, and with halfvec (values cast and measured)." };
        var calls = new Option<int>("--calls-after") { Description = "Calls of each kind timed after the run completed.", DefaultValueFactory = _ => 20 };
        var work = new Option<string?>("--work-dir") { Description = "Where the pools (kept for reuse when the folder is given) and server logs go; default: a new temporary folder, deleted afterwards.", HelpName = "DIR" };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file.", HelpName = "FILE" };
        var command = new Command(
            "scale",
            "Re-score runs of stored embeddings at growing pool sizes through the cluster and the REST API: wall time, items/s, finalisation time, database bytes per item, p50/p95 latency of run status, selection, drift, histograms and run list during and after the run." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom bench scale --sizes 100000,1000000 --references 1000 --embeddings-run --json scale.json")
        {
            connection, rabbit, server, sizes, references, dimension, workers, shardSize, embeddingsRun, calls, work, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            string? given = parse.GetValue(work);
            string directory = given is null ? Directory.CreateTempSubdirectory("sisom-bench-scale-").FullName : Directory.CreateDirectory(given).FullName;
            var settings = new ScaleBenchmarkSettings
            {
                Connection = ConnectionOption.Resolve(parse, connection),
                RabbitMq = parse.GetValue(rabbit) is { Length: > 0 } uri ? uri
                    : Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") is { Length: > 0 } fromEnvironment ? fromEnvironment
                    : throw new UsageException("no RabbitMQ: pass --rabbitmq or set ConnectionStrings__RabbitMq (export $(deploy/local/services.sh env))."),
                ServerPath = parse.GetValue(server) ?? ServerProcess.DefaultServerPath(),
                WorkDirectory = directory,
                Sizes = BenchCommand.ParseList(parse.GetRequiredValue(sizes), "--sizes"),
                References = Positive(parse.GetValue(references), "--references"),
                Dimension = Positive(parse.GetValue(dimension), "--dimension"),
                Workers = Positive(parse.GetValue(workers), "--workers"),
                ShardSize = Positive(parse.GetValue(shardSize), "--shard-size"),
                EmbeddingsRun = parse.GetValue(embeddingsRun),
                CallsAfter = Positive(parse.GetValue(calls), "--calls-after"),
            };
            if (settings.Sizes.Any(s => s <= settings.References))
            {
                throw new UsageException($"every --sizes value must exceed --references ({settings.References}).");
            }

            output.WriteLine($"{Environment.ProcessorCount} cores; work in {directory}");
            try
            {
                ScaleBenchmarkReport report = await new ScaleBenchmark(settings, line => output.WriteLine($"  {line}")).RunAsync(cancellationToken).ConfigureAwait(false);
                output.WriteLine();
                output.WriteLine($"{"id",-28} {"items",11} {"shards",7} {"run s",8} {"items/s",8} {"context s",9} {"finalise s",10} {"scores B/item",13} {"items B/item",12}");
                foreach (ScaleRunResult r in report.Runs)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Id,-28} {r.Items,11} {r.Shards,7} {r.Seconds,8:F1} {r.ItemsPerSecond,8:F0} {r.ContextSeconds,9:F1} {r.FinalizeSeconds,10:F2} {r.ScoreBytesPerItem,13:F0} {r.ItemBytesPerItem,12:F0}"));
                }

                if (report.Storage is { } s)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stored embeddings at n = {s.Items}: {s.VectorBytesPerItem:F0} B/item with vector ({s.VectorValueBytes:F0} B per value), {s.HalfvecBytesPerItem:F0} B/item with halfvec ({s.HalfvecValueBytes:F0} B per value)"));
                }

                output.WriteLine();
                output.WriteLine($"{"id",-28} {"call",-22} {"during p50/p95 ms",18} {"after p50/p95 ms",17} {"failed",6}");
                foreach (ScaleRunResult r in report.Runs)
                {
                    foreach (LatencySummary after in r.After)
                    {
                        LatencySummary? during = r.During.FirstOrDefault(d => d.Call == after.Call);
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Id,-28} {after.Call,-22} {(during is null ? "-" : $"{during.P50Ms:F0}/{during.P95Ms:F0} (n={during.Calls})"),18} {$"{after.P50Ms:F0}/{after.P95Ms:F0}",17} {(during?.Failures ?? 0) + after.Failures,6}"));
                    }
                }

                if (parse.GetValue(json) is { } path)
                {
                    using AtomicFile file = AtomicFile.Create(path);
                    JsonSerializer.Serialize(file.Stream, report, BenchCommand.Json);
                    file.Commit();
                    output.WriteLine($"wrote {path}");
                }
            }
            finally
            {
                if (given is null)
                {
                    Directory.Delete(directory, recursive: true);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new UsageException($"{option} must be >= 1, got {value}.");
}
