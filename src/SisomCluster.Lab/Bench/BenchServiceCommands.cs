using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SisomCluster.Cli;
using SisomCluster.Cli.Cluster;
using SisomCluster.Cli.Offline;
using SisomCluster.Inference.Files;

namespace SisomCluster.Lab.Bench;

/// <summary>The <c>sisom bench</c> commands that need PostgreSQL and RabbitMQ: <c>copy</c>, <c>cluster</c>, <c>rescore</c>, and <c>suite</c>.</summary>
internal static class BenchServiceCommands
{
    public static Command CreateCopy()
    {
        Option<string?> connection = ConnectionOption.Create();
        var rows = new Option<int>("--rows") { Description = "item_scores rows per measurement.", DefaultValueFactory = _ => 100_000 };
        var dimensions = new Option<string>("--dimensions") { Description = "Comma-separated embedding dimensions (0 = no embedding column).", DefaultValueFactory = _ => "0,512" };
        var rescoreRows = new Option<int>("--rescore-rows") { Description = "Rows of the re-scoring-shaped commit figure (scores only, in shards, concurrent writers; 0 = skip it).", DefaultValueFactory = _ => 200_000 };
        var shardSize = new Option<int>("--shard-size") { Description = "Rows per shard of the re-scoring figure (the cluster's re-scoring shard size).", DefaultValueFactory = _ => 4096 };
        var writers = new Option<string>("--writers") { Description = "Comma-separated counts of concurrent committers (workers) for the re-scoring figure.", DefaultValueFactory = _ => "1,2" };
        var aggregates = new Option<bool>("--aggregates") { Description = "Also measure the re-scoring commit writing the shard's aggregates as a worker does (candidates, histograms, drift), once per drift lookup: grouped from the rows (stored-embeddings pools), and counted against the pool's items (image pools; the previous commit)." };
        var budget = new Option<int>("--budget") { Description = "Selection budget of the --aggregates figures: each shard keeps its share of budget x 4 candidates, as a worker does.", DefaultValueFactory = _ => 1000 };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file.", HelpName = "FILE" };
        var command = new Command(
            "copy",
            "Result rows/s of the worker's commit (binary COPY straight into the run's item_scores partition under the shard's fence, shard done, one transaction) against EF Core SaveChanges of the same rows; and re-scoring-shaped (scores only, shards, 1 and 2 concurrent writers) against the previous commit path (COPY -> temp table -> INSERT ON CONFLICT), in a schema of its own." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom bench copy --rows 100000 --dimensions 0,512 --rescore-rows 1000000 --writers 1,2" + Environment.NewLine
            + "  sisom bench copy --rows 10000 --dimensions 0 --rescore-rows 1000000 --shard-size 10000 --writers 1 --aggregates --budget 1000")
        {
            connection, rows, dimensions, rescoreRows, shardSize, writers, aggregates, budget, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            string database = ConnectionOption.Resolve(parse, connection);
            int rescore = parse.GetValue(rescoreRows);
            if (rescore < 0)
            {
                throw new UsageException($"--rescore-rows must be 0 or positive, not {rescore}.");
            }

            int shard = Positive(parse.GetValue(shardSize), "--shard-size");
            IReadOnlyList<int> writerCounts = BenchCommand.ParseList(parse.GetRequiredValue(writers), "--writers", allowZero: false);
            int aggregatesBudget = parse.GetValue(aggregates) ? Positive(parse.GetValue(budget), "--budget") : 0;
            if (aggregatesBudget > 0 && rescore == 0)
            {
                throw new UsageException("--aggregates measures the re-scoring commit: give --rescore-rows > 0.");
            }

            IReadOnlyList<CopyBenchmarkResult> results = await CopyBenchmark.RunAsync(
                database,
                Positive(parse.GetValue(rows), "--rows"),
                BenchCommand.ParseList(parse.GetRequiredValue(dimensions), "--dimensions", allowZero: true),
                line => output.WriteLine($"  running {line}"),
                cancellationToken).ConfigureAwait(false);
            IReadOnlyList<CopyRescoreResult> rescoring = rescore == 0
                ? []
                : await CopyRescoreBenchmark.RunAsync(database, rescore, shard, writerCounts, aggregatesBudget, line => output.WriteLine($"  running {line}"), cancellationToken).ConfigureAwait(false);
            output.WriteLine();
            output.WriteLine($"{"id",-32} {"COPY rows/s",12} {"EF rows/s",10} {"speed-up",9}");
            foreach (CopyBenchmarkResult r in results)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Id,-32} {r.CopyRowsPerSecond,12:F0} {r.EfRowsPerSecond,10:F0} {r.SpeedUp,8:F1}x"));
            }

            if (rescoring.Count > 0)
            {
                output.WriteLine();
                output.WriteLine($"{"id",-36} {"rows/s",10} {"previous path rows/s",21} {"speed-up",9}");
                foreach (CopyRescoreResult r in rescoring)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Id,-36} {r.RowsPerSecond,10:F0} {r.LegacyRowsPerSecond,21:F0} {r.SpeedUp,8:F2}x"));
                }

                if (rescoring.Any(r => r.WithAggregatesRowsPerSecond is not null))
                {
                    output.WriteLine();
                    output.WriteLine($"{"id (with aggregates, budget B)",-44} {"drift",16} {"rows/s",10} {"vs without",11}");
                    foreach (CopyRescoreResult r in rescoring.Where(r => r.WithAggregatesRowsPerSecond is not null))
                    {
                        foreach ((string drift, double rate) in r.WithAggregatesRowsPerSecond!)
                        {
                            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Id + ".b" + r.Budget,-44} {drift,16} {rate,10:F0} {rate / r.RowsPerSecond,10:P0}"));
                        }
                    }
                }
            }

            WriteJson(
                parse.GetValue(json),
                new
                {
                    cores = Environment.ProcessorCount,
                    results = results.Select(r => new { r.Id, r.Rows, r.Dimension, r.CopyRowsPerSecond, r.EfRowsPerSecond, r.SpeedUp }),
                    rescore = rescoring.Select(r => new { r.Id, r.Rows, r.ShardSize, r.Writers, r.RowsPerSecond, r.LegacyRowsPerSecond, r.SpeedUp, r.Budget, r.WithAggregatesRowsPerSecond }),
                },
                output);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateSuite()
    {
        Option<string?> connection = ConnectionOption.Create();
        var rabbit = new Option<string?>("--rabbitmq") { Description = "RabbitMQ URI; default: ConnectionStrings__RabbitMq. Without it the cluster figures are skipped.", HelpName = "URI" };
        var server = new Option<string?>("--server") { Description = "sisom-server.dll; default: the one built beside this CLI.", HelpName = "PATH" };
        var cache = ModelOptions.Cache();
        var json = new Option<string?>("--json") { Description = "Also write the figures as JSON to this file.", HelpName = "FILE" };
        var local = new Option<bool>("--no-services") { Description = "Only the figures that need no database or broker (kernel, decode, inference, pipeline)." };
        var command = new Command(
            "suite",
            "Every benchmark at a size that runs in minutes, each against its baseline in the same run: core kernel, decode, inference, pipeline, COPY commit, cluster images/s, re-scoring. One table, one JSON with stable ids." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom bench suite --json bench.json")
        {
            connection, rabbit, server, cache, json, local,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            bool services = !parse.GetValue(local);
            string? database = !services ? null : ConnectionOption.Find(parse, connection);
            string? broker = !services ? null : parse.GetValue(rabbit) is { Length: > 0 } r ? r : Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") is { Length: > 0 } re ? re : null;
            string directory = Directory.CreateTempSubdirectory("sisom-bench-suite-").FullName;
            try
            {
                var settings = new BenchSuiteSettings
                {
                    ModelCache = parse.GetRequiredValue(cache),
                    WorkDirectory = directory,
                    Connection = database,
                    RabbitMq = broker,
                    ServerPath = broker is null ? null : parse.GetValue(server) ?? ServerProcess.DefaultServerPath(),
                };
                output.WriteLine($"{Environment.ProcessorCount} cores; {(database is null ? "no database" : "database set")}; {(broker is null ? "no RabbitMQ" : "RabbitMQ set")}");
                IReadOnlyList<BenchFigure> figures = await new BenchSuite(settings, line => output.WriteLine($"  {line}")).RunAsync(cancellationToken).ConfigureAwait(false);
                output.WriteLine();
                output.WriteLine($"{"id",-58} {"value",12} {"unit",-9} {"vs baseline",11}  baseline");
                foreach (BenchFigure f in figures)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{f.Id,-58} {f.Value,12:G5} {f.Unit,-9} {(f.Ratio is { } ratio ? ratio.ToString("F2", CultureInfo.InvariantCulture) + "x" : "-"),11}  {f.Baseline}{(f.BaselineValue is { } b ? " = " + b.ToString("G5", CultureInfo.InvariantCulture) : "")}"));
                }

                WriteJson(parse.GetValue(json), new { machine = MachinePeak.Detect(), figures = figures.Select(f => new { f.Id, f.Value, f.Unit, f.Baseline, f.BaselineValue, f.Ratio, f.Note }) }, output);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteJson(string? path, object value, TextWriter output)
    {
        if (path is null)
        {
            return;
        }

        using AtomicFile file = AtomicFile.Create(path);
        JsonSerializer.Serialize(file.Stream, value, BenchCommand.Json);
        file.Commit();
        output.WriteLine($"wrote {path}");
    }

    public static Command CreateCluster(bool rescore)
    {
        Option<string?> connection = ConnectionOption.Create();
        var rabbit = new Option<string?>("--rabbitmq") { Description = "RabbitMQ URI; default: the ConnectionStrings__RabbitMq environment variable.", HelpName = "URI" };
        var server = new Option<string?>("--server") { Description = "sisom-server.dll; default: the one built beside this CLI.", HelpName = "PATH" };
        var cache = ModelOptions.Cache();
        var workers = new Option<string>("--workers") { Description = "Comma-separated worker counts, one cluster run each.", DefaultValueFactory = _ => "1,2" };
        var images = new Option<int>("--images") { Description = "Fashion-MNIST images in the pool.", DefaultValueFactory = _ => 2000 };
        var labeled = new Option<int>("--labeled") { Description = "Labeled images (classes 0-5), the reference set.", DefaultValueFactory = _ => 300 };
        var tars = new Option<int>("--tars") { Description = "Tar shards of the pool.", DefaultValueFactory = _ => 8 };
        var embeddings = new Option<int>("--embeddings") { Description = "Stored embeddings in the pool.", DefaultValueFactory = _ => 1_000_000 };
        var references = new Option<int>("--references") { Description = "Labeled rows |T|.", DefaultValueFactory = _ => 10_000 };
        var dimension = new Option<int>("--dimension") { Description = "Embedding dimension D.", DefaultValueFactory = _ => 512 };
        var work = new Option<string?>("--work-dir") { Description = "Where pools, baseline files and server logs go; default: a new temporary folder, deleted afterwards.", HelpName = "DIR" };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file.", HelpName = "FILE" };
        var shardSize = new Option<int>("--shard-size") { Description = "Items per shard of the cluster runs (the run request's shard_size; default: the server's for pools of stored embeddings).", DefaultValueFactory = _ => ClusterBenchmarkSettings.DefaultShardSize };
        var noKnn = new Option<bool>("--no-knn") { Description = "Without the KNN baseline on both sides: offline score --no-knn and a cluster run with knn: false." };
        var warm = new Option<bool>("--warm")
        {
            Description = $"Before each measured run, the cluster scores a small pool of its own ({ClusterBenchmarkSettings.WarmUpRows} rows, |T| = {ClusterBenchmarkSettings.WarmUpReferences}), unmeasured: the measured run meets processes that have run before, as a long-running service's do (ids end in .warm).",
        };
        var command = rescore
            ? new Command(
                "rescore",
                "Re-scoring stored embeddings (.npy pool) through the cluster (coordinator + aggregator + N workers) against offline fit-head + score on the same arrays in one process: items/s and database rows/s." + Environment.NewLine
                + Environment.NewLine
                + "Example:" + Environment.NewLine
                + "  sisom bench rescore --embeddings 1000000 --references 10000 --workers 1" + Environment.NewLine
                + "  sisom bench rescore --embeddings 1000000 --references 10000 --workers 1 --no-knn" + Environment.NewLine
                + "  sisom bench rescore --embeddings 1000000 --references 10000 --workers 1 --no-knn --warm")
            {
                connection, rabbit, server, workers, embeddings, references, dimension, shardSize, work, json, noKnn, warm,
            }
            : new Command(
                "cluster",
                "End-to-end items/s of the cluster (tar shards of PNGs; coordinator + aggregator + N worker processes on RabbitMQ and PostgreSQL) against offline embed + fit-head + score on the same images in one process." + Environment.NewLine
                + Environment.NewLine
                + "Example:" + Environment.NewLine
                + "  sisom bench cluster --images 2000 --workers 1,2 --json cluster.json")
            {
                connection, rabbit, server, cache, workers, images, labeled, tars, work, json,
            };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            int[] counts = BenchCommand.ParseList(parse.GetRequiredValue(workers), "--workers");
            string? given = parse.GetValue(work);
            string directory = given is null ? Directory.CreateTempSubdirectory("sisom-bench-").FullName : Directory.CreateDirectory(given).FullName;
            var settings = new ClusterBenchmarkSettings
            {
                Connection = ConnectionOption.Resolve(parse, connection),
                RabbitMq = parse.GetValue(rabbit) is { Length: > 0 } uri ? uri
                    : Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") is { Length: > 0 } fromEnvironment ? fromEnvironment
                    : throw new UsageException("no RabbitMQ: pass --rabbitmq or set ConnectionStrings__RabbitMq (export $(deploy/local/services.sh env))."),
                ServerPath = parse.GetValue(server) ?? ServerProcess.DefaultServerPath(),
                ModelCache = rescore ? ModelOptions.DefaultCacheDirectory() : parse.GetRequiredValue(cache),
                WorkDirectory = directory,
                Workers = counts,
            };
            settings = rescore
                ? settings with
                {
                    Embeddings = Positive(parse.GetValue(embeddings), "--embeddings"),
                    References = Positive(parse.GetValue(references), "--references"),
                    Dimension = Positive(parse.GetValue(dimension), "--dimension"),
                    Knn = !parse.GetValue(noKnn),
                    WarmUp = parse.GetValue(warm),
                    ShardSize = ShardSize(parse.GetValue(shardSize)),
                }
                : settings with
                {
                    Images = Positive(parse.GetValue(images), "--images"),
                    Labeled = Positive(parse.GetValue(labeled), "--labeled"),
                    Tars = Positive(parse.GetValue(tars), "--tars"),
                };
            output.WriteLine($"{Environment.ProcessorCount} cores; work in {directory}");
            try
            {
                var benchmark = new ClusterBenchmark(settings, line => output.WriteLine($"  {line}"));
                IReadOnlyList<ClusterBenchmarkResult> results = rescore
                    ? await benchmark.RunRescoreAsync(cancellationToken).ConfigureAwait(false)
                    : await benchmark.RunImagesAsync(cancellationToken).ConfigureAwait(false);
                output.WriteLine();
                output.WriteLine($"{"id",-44} {"seconds",8} {"items/s",9} {"context s",9} {"scoring s",9} {"scoring items/s",15} {"rows/s",8} {"overhead",9} {"scoring ovh",11}");
                foreach (ClusterBenchmarkResult r in results)
                {
                    output.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{r.Id,-44} {r.Seconds,8:F1} {r.ItemsPerSecond,9:F1} {Format(r.ReferenceSeconds, "F1"),9} {Format(r.ScoringSeconds, "F1"),9} {Format(r.ScoringItemsPerSecond, "F1"),15} {Format(r.RowsPerSecond, "F0"),8} {Format(r.Overhead * 100, "F1", "%"),9} {Format(r.ScoringOverhead * 100, "F1", "%"),11}"));
                }

                if (parse.GetValue(json) is { } path)
                {
                    using AtomicFile file = AtomicFile.Create(path);
                    JsonSerializer.Serialize(file.Stream, new { cores = Environment.ProcessorCount, knn = settings.Knn, results = results.Select(r => new { r.Id, r.Workers, r.Items, r.Seconds, r.ItemsPerSecond, r.ReferenceSeconds, r.ScoringSeconds, r.ScoringItemsPerSecond, r.RowsWritten, r.RowsPerSecond, r.Overhead, r.ScoringOverhead }) }, BenchCommand.Json);
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

    private static int ShardSize(int value) =>
        value is >= 1 and <= Contracts.Http.StartRunRequest.MaxShardSize
            ? value
            : throw new UsageException($"--shard-size must be between 1 and {Contracts.Http.StartRunRequest.MaxShardSize}, not {value}.");

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new UsageException($"{option} must be >= 1, got {value}.");

    private static string Format(double? value, string format, string suffix = "") =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) + suffix : "-";

}
