using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SisomCluster.Cli;
using SisomCluster.Cli.Cluster;
using SisomCluster.Inference.Files;

namespace SisomCluster.Lab.Bench;

/// <summary><c>sisom bench chaos</c>: faults injected into runs of a real cluster, the outcome checked in SQL (<see cref="ChaosBenchmark"/>).</summary>
internal static class BenchChaosCommand
{
    public static Command Create()
    {
        var repeat = new Option<int>("--repeat") { Description = "Repetitions of every fault.", DefaultValueFactory = _ => 10 };
        var down = new Option<int>("--down-seconds") { Description = "How long RabbitMQ and PostgreSQL stay down.", DefaultValueFactory = _ => 30 };
        var faults = new Option<string>("--faults") { Description = $"Comma-separated faults: {string.Join(", ", ChaosFaultNames.All)}.", DefaultValueFactory = _ => string.Join(',', ChaosFaultNames.All) };
        var items = new Option<int>("--items") { Description = "Stored embeddings in the pool.", DefaultValueFactory = _ => 2000 };
        var dimension = new Option<int>("--dimension") { Description = "Embedding dimension D.", DefaultValueFactory = _ => 64 };
        var shardSize = new Option<int>("--shard-size") { Description = "Items per shard.", DefaultValueFactory = _ => 100 };
        var postgresPort = new Option<int>("--postgres-port") { Description = "Port of the private PostgreSQL (deploy/local/services.sh pg-up), never the shared 55432.", DefaultValueFactory = _ => 55498 };
        var rabbitPort = new Option<int>("--rabbitmq-port") { Description = "AMQP port of the private RabbitMQ (services.sh rabbitmq-up; management on this + 10000), never the shared 5672.", DefaultValueFactory = _ => 5698 };
        var republish = new Option<int>("--republish-seconds") { Description = "Coordinator__RepublishSeconds of the cluster: a pending shard published longer ago is published again (the purge's recovery).", DefaultValueFactory = _ => 10 };
        var lease = new Option<int>("--lease-seconds") { Description = "Worker__LeaseSeconds of the cluster: a killed worker's shard is re-issued this long after its last heartbeat.", DefaultValueFactory = _ => 10 };
        var timeout = new Option<int>("--case-timeout-seconds") { Description = "How long a run may take after its fault before it counts as stuck.", DefaultValueFactory = _ => 240 };
        var keep = new Option<bool>("--keep-services") { Description = "Leave the private PostgreSQL and RabbitMQ running afterwards." };
        var server = new Option<string?>("--server") { Description = "sisom-server.dll; default: the one built beside this CLI.", HelpName = "PATH" };
        var script = new Option<string?>("--services-script") { Description = "deploy/local/services.sh; default: the one of this checkout.", HelpName = "PATH" };
        var work = new Option<string?>("--work-dir") { Description = "Where the pool and the server logs go; default: a new temporary folder, deleted afterwards.", HelpName = "DIR" };
        var output = new Option<string?>("--out") { Description = "Write the results as JSON to this file and the tables as markdown beside it (same name, .md).", HelpName = "FILE" };
        var command = new Command(
            "chaos",
            "Faults injected into runs of a real cluster (one api+coordinator+aggregator process, two workers) on a PostgreSQL and a RabbitMQ of its own: worker killed mid-shard, RabbitMQ down, PostgreSQL down, score-shard queue purged, every ScoreShard delivered twice, a poison shard, the coordinator killed and restarted. "
            + "Each run is checked in SQL: completed, items scored + failed = pool size, no duplicates, no stuck run; with the time to recover. Exit 1 when any case fails." + System.Environment.NewLine
            + System.Environment.NewLine
            + "Example:" + System.Environment.NewLine
            + "  sisom bench chaos --repeat 1 --down-seconds 10 --out docs/results/chaos.json")
        {
            repeat, down, faults, items, dimension, shardSize, postgresPort, rabbitPort, republish, lease, timeout, keep, server, script, work, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter writer = parse.InvocationConfiguration.Output;
            var chosen = new List<ChaosFault>();
            foreach (string name in parse.GetRequiredValue(faults).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                chosen.Add(ChaosFaultNames.Parse(name) ?? throw new UsageException($"--faults: unknown fault '{name}'; known: {string.Join(", ", ChaosFaultNames.All)}."));
            }

            int downSeconds = parse.GetValue(down);
            if (chosen.Count == 0 || downSeconds < 0)
            {
                throw new UsageException("--faults must name at least one fault and --down-seconds must be >= 0.");
            }

            string? given = parse.GetValue(work);
            string directory = given is null ? Directory.CreateTempSubdirectory("sisom-bench-chaos-").FullName : Directory.CreateDirectory(given).FullName;
            var settings = new ChaosBenchmarkSettings
            {
                ServerPath = parse.GetValue(server) ?? ServerProcess.DefaultServerPath(),
                ServicesScript = parse.GetValue(script) ?? PrivateServices.FindScript(AppContext.BaseDirectory),
                WorkDirectory = directory,
                PostgresPort = Port(parse.GetValue(postgresPort), "--postgres-port"),
                RabbitMqPort = Port(parse.GetValue(rabbitPort), "--rabbitmq-port"),
                Faults = chosen,
                Repeat = Positive(parse.GetValue(repeat), "--repeat"),
                Down = TimeSpan.FromSeconds(downSeconds),
                Items = Positive(parse.GetValue(items), "--items"),
                Dimension = Positive(parse.GetValue(dimension), "--dimension"),
                ShardSize = Positive(parse.GetValue(shardSize), "--shard-size"),
                RepublishSeconds = Positive(parse.GetValue(republish), "--republish-seconds"),
                LeaseSeconds = Positive(parse.GetValue(lease), "--lease-seconds"),
                CaseTimeout = TimeSpan.FromSeconds(Positive(parse.GetValue(timeout), "--case-timeout-seconds")),
                KeepServices = parse.GetValue(keep),
            };
            if (settings.Items / settings.ShardSize < 2 * 3)
            {
                throw new UsageException($"--items {settings.Items} / --shard-size {settings.ShardSize}: at least 6 shards are needed, so a fault lands with shards done and shards waiting.");
            }

            string line = "sisom bench chaos " + string.Join(' ', parse.Tokens.Select(t => t.Value).SkipWhile(t => t is "bench" or "chaos"));
            writer.WriteLine($"{System.Environment.ProcessorCount} cores; work in {directory}");
            try
            {
                IReadOnlyList<ChaosCaseResult> results = await new ChaosBenchmark(settings, text => writer.WriteLine($"  {text}")).RunAsync(cancellationToken).ConfigureAwait(false);
                string markdown = ChaosReport.Markdown(results, settings, line.Trim());
                writer.WriteLine();
                writer.Write(markdown);
                if (parse.GetValue(output) is { } path)
                {
                    using (AtomicFile file = AtomicFile.Create(path))
                    {
                        JsonSerializer.Serialize(file.Stream, ChaosReport.Json(results, settings, line.Trim()), BenchCommand.Json);
                        file.Commit();
                    }

                    string markdownPath = Path.ChangeExtension(path, ".md");
                    await File.WriteAllTextAsync(markdownPath, "# sisom bench chaos\n\n" + markdown, cancellationToken).ConfigureAwait(false);
                    writer.WriteLine($"wrote {path} and {markdownPath}");
                }

                int failed = results.Count(r => !r.Passed);
                writer.WriteLine(failed == 0 ? $"all {results.Count} cases passed" : $"{failed} of {results.Count} cases FAILED");
                return failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
            }
            finally
            {
                if (given is null)
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        });
        return command;
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new UsageException($"{option} must be >= 1, got {value}.");

    private static int Port(int value, string option) =>
        value is > 0 and < 65536 ? value : throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{option} must be a TCP port, got {value}."));
}
