using System.CommandLine;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Runs;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom run start|status</c>: request a run (a pending row the coordinator launches) and follow it.</summary>
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
            parse.InvocationConfiguration.Output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"run {id}: {found.State.ToString().ToLowerInvariant()}; shards {p.DoneShards} done, {p.LeasedShards} leased, {p.PendingShards} pending, {p.FailedShards} failed of {p.TotalShards}; items {p.ItemsScored} scored, {p.ItemsFailed} with errors{(found.Error is { } e ? $"; error: {e}" : string.Empty)}"));
            return ExitCodes.Success;
        });
        return command;
    }
}
