using System.CommandLine;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Runs;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom run start|status|watch</c>: request a run (a pending row the coordinator launches) and follow it.</summary>
internal static class RunCommand
{
    public static Command Create() =>
        new("run", "Scoring runs over a pool." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom run start --pool fashion --budget 100")
        {
            CreateStart(),
            CreateStatus(),
            CreateWatch(),
        };

    private static Command CreateStart()
    {
        Option<string?> connection = DatabaseOption.Create();
        var pool = new Option<string>("--pool") { Description = "The pool to score.", Required = true };
        var budget = new Option<int>("--budget") { Description = "B, the number of items to select for labeling.", DefaultValueFactory = _ => 100 };
        var model = new Option<string>("--model") { Description = "'resnet18' or an .onnx path the workers can read.", DefaultValueFactory = _ => "resnet18" };
        var quantile = new Option<double>("--quantile") { Description = "Target ID true-positive rate q of the OOD thresholds.", DefaultValueFactory = _ => 0.95 };
        var shardSize = new Option<int>("--shard-size") { Description = "Items per shard (a tar file is always one shard).", DefaultValueFactory = _ => 4096 };
        var embeddings = new Option<bool>("--store-embeddings") { Description = "Keep each item's features for re-scoring and similar-item search." };
        var command = new Command(
            "start",
            "Request a run; a coordinator launches it." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom run start --pool fashion --budget 50")
        {
            pool, budget, model, quantile, shardSize, embeddings, connection,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var dataSource = SisomDataSource.Create(DatabaseOption.Resolve(parse, connection));
            await using var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource));
            Guid id = await RunRequests.CreateAsync(
                db,
                parse.GetRequiredValue(pool),
                parse.GetRequiredValue(model),
                parse.GetValue(budget),
                parse.GetValue(quantile),
                parse.GetValue(embeddings),
                parse.GetValue(shardSize),
                maxAttempts: 3,
                DateTimeOffset.UtcNow,
                cancellationToken).ConfigureAwait(false);
            parse.InvocationConfiguration.Output.WriteLine(id.ToString());
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateStatus()
    {
        Option<string?> connection = DatabaseOption.Create();
        var run = new Argument<Guid>("RUN") { Description = "The run id printed by run start." };
        var command = new Command(
            "status",
            "Print a run's state and progress, from the shards table." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom run status 3f2c...")
        {
            run, connection,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var dataSource = SisomDataSource.Create(DatabaseOption.Resolve(parse, connection));
            await using var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource));
            Guid id = parse.GetRequiredValue(run);
            Run? found = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken).ConfigureAwait(false)
                ?? throw new UsageException($"no run {id}.");
            RunProgress p = await RunProgress.LoadAsync(db, id, cancellationToken).ConfigureAwait(false);
            parse.InvocationConfiguration.Output.WriteLine(Describe(found, p));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateWatch()
    {
        Option<string?> connection = DatabaseOption.Create();
        var run = new Argument<Guid>("RUN") { Description = "The run id printed by run start." };
        var interval = new Option<double>("--interval")
        {
            Description = "Seconds between two looks at the shards table.",
            DefaultValueFactory = _ => 1.0,
            CustomParser = OptionParsers.Number("--interval", v => v is > 0 and <= 3600, "a number of seconds in (0, 3600]"),
        };
        var command = new Command(
            "watch",
            "Follow a run until it ends: a progress bar on a terminal, a line per change otherwise. "
            + "Exits 0 when the run completes, 3 when it failed or was cancelled." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom run watch $(sisom run start --pool fashion --budget 50)")
        {
            run, interval, connection,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var dataSource = SisomDataSource.Create(DatabaseOption.Resolve(parse, connection));
            Guid id = parse.GetRequiredValue(run);
            TimeSpan every = TimeSpan.FromSeconds(parse.GetValue(interval));
            TextWriter output = parse.InvocationConfiguration.Output;
            bool terminal = Terminal.IsTerminal(output);
            string? previous = null;
            int width = 0;
            Run found;
            try
            {
                while (true)
                {
                    await using (var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource)))
                    {
                        found = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken).ConfigureAwait(false)
                            ?? throw new UsageException($"no run {id}.");
                        RunProgress p = await RunProgress.LoadAsync(db, id, cancellationToken).ConfigureAwait(false);
                        string line = Describe(found, p);
                        if (terminal)
                        {
                            string bar = ProgressBar.Render(p.DoneShards + p.FailedShards, p.TotalShards) + " " + line;
                            output.Write("\r" + bar.PadRight(width));
                            width = bar.Length;
                        }
                        else if (line != previous)
                        {
                            output.WriteLine(line);
                        }

                        previous = line;
                    }

                    if (found.State is RunState.Completed or RunState.Failed or RunState.Cancelled)
                    {
                        break;
                    }

                    await Task.Delay(every, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (terminal)
                {
                    output.WriteLine();
                }

                return ExitCodes.Interrupted;
            }

            if (terminal)
            {
                output.WriteLine();
            }

            if (found.State == RunState.Completed)
            {
                return ExitCodes.Success;
            }

            parse.InvocationConfiguration.Error.WriteLine($"error: run {id} {(found.State == RunState.Failed ? "failed" : "was cancelled")}{(found.Error is { } e ? $": {e}" : string.Empty)}");
            return ExitCodes.RunNotCompleted;
        });
        return command;
    }

    /// <summary>One line: state, shards by state, items — what run status prints and run watch logs.</summary>
    private static string Describe(Run run, RunProgress p) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"run {run.Id}: {run.State.ToString().ToLowerInvariant()}; shards {p.DoneShards} done, {p.LeasedShards} leased, {p.PendingShards} pending, {p.FailedShards} failed of {p.TotalShards}; items {p.ItemsScored} scored, {p.ItemsFailed} with errors{(run.Error is { } e ? $"; error: {e}" : string.Empty)}");
}
