using System.Diagnostics;
using System.Globalization;
using SisomCluster.Cli.Cluster;
using SisomCluster.Data.Runs;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// <c>sisom bench chaos</c> (issue 12 §5): real server processes — one <c>api,coordinator,aggregator</c> process and
/// two workers — on a PostgreSQL and a RabbitMQ of their own, scoring a small stored-embeddings pool; each fault is
/// injected into a run in flight and the run's outcome is read back in SQL (<see cref="ChaosRunProbe"/>). The workers
/// are paused (SIGSTOP) for the moment a fault is being put in place, so it lands mid-run however fast the pool
/// scores; they run on while the fault lasts. This file runs the cases and reads their outcome; how each fault is put in
/// place is in ChaosBenchmark.Faults.cs.
/// </summary>
public sealed partial class ChaosBenchmark(ChaosBenchmarkSettings settings, Action<string> progress)
{
    private const string QueuePrefix = "chaos";

    public async Task<IReadOnlyList<ChaosCaseResult>> RunAsync(CancellationToken cancellationToken)
    {
        var services = new PrivateServices(settings.ServicesScript, settings.PostgresPort, settings.RabbitMqPort);
        progress($"private PostgreSQL :{settings.PostgresPort} and RabbitMQ :{settings.RabbitMqPort} (services.sh pg-up, rabbitmq-up)");
        await services.DatabaseUpAsync(cancellationToken).ConfigureAwait(false);
        await services.BrokerUpAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunCasesAsync(services, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!settings.KeepServices)
            {
                progress("stopping the private PostgreSQL and RabbitMQ");
                await services.BrokerDownAsync(CancellationToken.None).ConfigureAwait(false);
                await services.DatabaseDownAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task<IReadOnlyList<ChaosCaseResult>> RunCasesAsync(PrivateServices services, CancellationToken cancellationToken)
    {
        string root = Directory.CreateDirectory(Path.Combine(settings.WorkDirectory, "chaos")).FullName;
        string npy = Path.Combine(root, "pool.npy");
        string labels = Path.Combine(root, "labels.csv");
        progress($"writing {settings.Items} synthetic {settings.Dimension}-d embeddings ({settings.Labeled} labeled), shards of {settings.ShardSize}");
        SyntheticEmbeddings.Write(npy, labels, Path.Combine(root, "reference.npy"), Path.Combine(root, "reference-labels.txt"), settings.Items, settings.Labeled, settings.Dimension);
        string ids = Path.Combine(root, "pool.ids.txt");

        await using BenchDatabase database = await BenchDatabase.CreateAsync(services.DatabaseConnection, cancellationToken).ConfigureAwait(false);
        string pool = "chaos-" + Guid.NewGuid().ToString("N")[..8];
        await BenchPool.RegisterAsync(database, pool, npy, labels, cancellationToken).ConfigureAwait(false);
        var server = new Dictionary<string, string>
        {
            ["ConnectionStrings__Sisom"] = database.ConnectionString,
            ["ConnectionStrings__RabbitMq"] = services.RabbitMq,
            ["Server__QueuePrefix"] = QueuePrefix,
            ["Worker__ModelCache"] = Path.Combine(root, "models"),
            ["Worker__IntraOpThreads"] = "1",
            ["Worker__DecodeThreads"] = "1",
            ["Worker__LeaseSeconds"] = settings.LeaseSeconds.ToString(CultureInfo.InvariantCulture),

            // One shard at a time per worker (the default is two): the small pool's run must last long enough for each fault
            // to land mid-run; with two workers × two shards it could finish in ~1 s, before the queue purge was injected.
            ["Worker__Concurrency"] = "1",
            ["Worker__Prefetch"] = "1",
            ["Coordinator__LeaseCheckSeconds"] = "2",
            ["Coordinator__RepublishSeconds"] = settings.RepublishSeconds.ToString(CultureInfo.InvariantCulture),
            ["Aggregator__SweepSeconds"] = "2",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        string logs = Path.Combine(root, "logs");
        progress($"starting {ChaosCluster.ControlRoles} + {ChaosCluster.WorkerCount} workers (logs in {logs})");
        ChaosCluster cluster = new(settings.ServerPath, server, logs, progress);
        await using (cluster.ConfigureAwait(false))
        {
            var rig = new Rig(services, database, new ChaosRunProbe(database.DataSource), cluster, new ScoreShardQueue(services.RabbitMq, QueuePrefix), pool, ids);
            var results = new List<ChaosCaseResult>();
            for (int repetition = 1; repetition <= settings.Repeat; repetition++)
            {
                foreach (ChaosFault fault in settings.Faults)
                {
                    ChaosCaseResult result = await RunCaseAsync(rig, fault, repetition, cancellationToken).ConfigureAwait(false);
                    results.Add(result);
                    progress(string.Create(
                        CultureInfo.InvariantCulture,
                        $"  {result.Fault} #{repetition}: {(result.Passed ? "ok" : "FAILED")} — run {result.State}, lost {result.Lost}, duplicates {result.Duplicates}, stuck {result.Stuck}, failed shards {result.FailedShards}, recovery {Seconds(result.RecoverySeconds)} s; {result.Detail}"));
                    if (!result.Passed)
                    {
                        progress(cluster.Tails());
                    }
                }
            }

            return results;
        }
    }

    private async Task<ChaosCaseResult> RunCaseAsync(Rig rig, ChaosFault fault, int repetition, CancellationToken cancellationToken)
    {
        string name = ChaosFaultNames.Name(fault);
        progress($"{name} #{repetition}");
        await rig.Cluster.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await rig.Queue.WaitForAsync(TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        uint errorsBefore = await rig.Queue.ErrorsAsync(cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        byte[] idsFile = await File.ReadAllBytesAsync(rig.IdsFile, cancellationToken).ConfigureAwait(false);
        DuplicatingTap? tap = fault == ChaosFault.DuplicateDelivery ? await rig.Queue.DuplicateAsync(cancellationToken).ConfigureAwait(false) : null;
        try
        {
            Guid runId;
            await using (var db = rig.Database.CreateDbContext())
            {
                runId = await RunRequests.CreateAsync(db, rig.Pool, "resnet18", budget: 10, quantile: 0.95, storeEmbeddings: false, settings.ShardSize, settings.MaxAttempts, DateTimeOffset.UtcNow, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            Injection injection = fault switch
            {
                ChaosFault.WorkerKill => await KillWorkerAsync(rig, runId, cancellationToken).ConfigureAwait(false),
                ChaosFault.RabbitMqDown => await TakeDownAsync(rig, runId, "RabbitMQ", settings.RabbitMqPort, rig.Services.BrokerDownAsync, rig.Services.BrokerUpAsync, cancellationToken).ConfigureAwait(false),
                ChaosFault.PostgresDown => await TakeDownAsync(rig, runId, "PostgreSQL", settings.PostgresPort, rig.Services.DatabaseDownAsync, rig.Services.DatabaseUpAsync, cancellationToken).ConfigureAwait(false),
                ChaosFault.QueuePurge => await PurgeAsync(rig, runId, cancellationToken).ConfigureAwait(false),
                ChaosFault.DuplicateDelivery => new Injection(true, "", DateTimeOffset.UtcNow, null),
                ChaosFault.PoisonShard => await PoisonAsync(rig, runId, cancellationToken).ConfigureAwait(false),
                ChaosFault.CoordinatorRestart => await RestartControlAsync(rig, runId, cancellationToken).ConfigureAwait(false),
                _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
            };

            await WaitForEndAsync(rig, runId, cancellationToken).ConfigureAwait(false);
            if (injection.Shard is { } poison)
            {
                // The poison shard's fault ends when the coordinator fails it (its finished_at).
                injection = injection with { End = await rig.Probe.FinishedAtAsync(runId, poison, cancellationToken).ConfigureAwait(false) };
            }

            string detail = injection.Detail;
            bool injected = injection.Injected;
            if (tap is not null)
            {
                // Every copy must have been consumed, not merely sent: the queue drains once the workers took them.
                uint left = await DrainedAsync(rig.Queue, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
                int shards = (await rig.Probe.ShardsAsync(runId, cancellationToken).ConfigureAwait(false)).Count;
                injected = tap.Copies >= shards && left == 0;
                detail = $"{tap.Copies} copies sent for {shards} ScoreShards, {left} left unconsumed";
            }

            ChaosRunProbe.Outcome outcome = await rig.Probe.OutcomeAsync(runId, injection.End ?? injection.Start, cancellationToken).ConfigureAwait(false);
            uint errorsAfter = await rig.Queue.ErrorsAsync(cancellationToken).ConfigureAwait(false);
            bool outage = fault != ChaosFault.DuplicateDelivery;
            DateTimeOffset? end = injection.End;
            return new ChaosCaseResult
            {
                Fault = ChaosFaultNames.Name(fault),
                Repetition = repetition,
                RunId = runId,
                Injected = injected,
                Detail = detail,
                State = outcome.State,
                PoolItems = settings.Items,
                Scored = outcome.Scored,
                Failed = outcome.Errors + outcome.ItemsOfFailedShards,
                Lost = settings.Items - (outcome.Scored + outcome.Errors + outcome.ItemsOfFailedShards),
                Duplicates = outcome.Duplicates,
                Stuck = outcome.Stuck,
                FailedShards = outcome.FailedShards,
                ReissuedShards = outcome.ReissuedShards,
                ErrorQueueMessages = errorsAfter - (long)errorsBefore,
                FaultSeconds = ((end ?? outcome.CompletedAt ?? DateTimeOffset.UtcNow) - injection.Start).TotalSeconds,
                ResumeSeconds = outage && end is { } e1 && outcome.FirstFinishedAfter is { } f ? (f - e1).TotalSeconds : null,
                RecoverySeconds = outage && end is { } e2 && outcome.CompletedAt is { } c && outcome.State == "completed" ? (c - e2).TotalSeconds : null,
                TotalSeconds = clock.Elapsed.TotalSeconds,
            };
        }
        finally
        {
            if (tap is not null)
            {
                await tap.DisposeAsync().ConfigureAwait(false);
            }

            await rig.Cluster.ResumeWorkersAsync().ConfigureAwait(false);
            await File.WriteAllBytesAsync(rig.IdsFile, idsFile, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Polls until the run ended or <see cref="ChaosBenchmarkSettings.CaseTimeout"/> passed (then it counts as stuck).</summary>
    private async Task WaitForEndAsync(Rig rig, Guid runId, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < settings.CaseTimeout
            && await rig.Probe.TrySnapshotAsync(runId, cancellationToken).ConfigureAwait(false) is not { Ended: true })
        {
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until no message is ready in the score-shard queue; returns how many still are at the timeout.</summary>
    private static async Task<uint> DrainedAsync(ScoreShardQueue queue, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        uint ready;
        while ((ready = await queue.ReadyAsync(cancellationToken).ConfigureAwait(false)) > 0 && clock.Elapsed < timeout)
        {
            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }

        return ready;
    }

    private static string Seconds(double? value) => value is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "-";

    /// <summary>What one case works with.</summary>
    private sealed record Rig(PrivateServices Services, BenchDatabase Database, ChaosRunProbe Probe, ChaosCluster Cluster, ScoreShardQueue Queue, string Pool, string IdsFile);

    /// <summary>Whether a fault landed, what was done, and when it began and ended (null: not yet, for the poison shard).</summary>
    private sealed record Injection(bool Injected, string Detail, DateTimeOffset Start, DateTimeOffset? End)
    {
        public int? Shard { get; init; }

        public static Injection Missed(string why)
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            return new Injection(false, why, now, now);
        }
    }
}
