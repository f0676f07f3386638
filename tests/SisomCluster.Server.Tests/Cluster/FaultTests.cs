using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>Faults injected into a running cluster of real processes (ARCHITECTURE.md §3, §10).</summary>
public sealed class FaultTests(DatabaseFixture database, ITestOutputHelper output) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-faults-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Killing_a_worker_mid_shard_loses_and_duplicates_nothing()
    {
        await using var cluster = new ClusterHarness(database, _directory);
        await cluster.BuildPoolAsync(idCount: 300, nearCount: 100, farCount: 20, labeledCount: 120, tars: 6);
        cluster.Start("coordinator,aggregator");
        Process victim = cluster.Start("worker", ("Worker__LeaseSeconds", "6"), ("Worker__BatchSize", "4"));
        cluster.Start("worker", ("Worker__LeaseSeconds", "6"), ("Worker__BatchSize", "4"));
        Guid runId = await cluster.StartRunAsync(budget: 10);

        bool killed = false;
        RunState state = await cluster.WaitForRunAsync(runId, TimeSpan.FromMinutes(6), async progress =>
        {
            if (!killed && progress.LeasedShards > 0)
            {
                await using var db = database.CreateDbContext();
                bool victimHoldsOne = await db.Shards.AnyAsync(s => s.RunId == runId && s.State == ShardState.Leased && s.LeaseOwner!.EndsWith("-" + victim.Id));
                if (victimHoldsOne)
                {
                    victim.Kill(entireProcessTree: true);
                    killed = true;
                    output.WriteLine($"killed worker {victim.Id} holding a leased shard");
                }
            }
        });

        Assert.True(killed, "the victim never held a shard");
        Assert.True(state == RunState.Completed, $"run {state}\n{cluster.Logs()}");
        await AssertEveryItemOnceAsync(runId, 420);
    }

    [Fact]
    public async Task Corrupt_files_become_error_rows_and_a_poison_shard_fails_after_its_attempts()
    {
        await using var cluster = new ClusterHarness(database, _directory);
        await cluster.BuildPoolAsync(idCount: 150, nearCount: 40, farCount: 10, labeledCount: 60, tars: 4, corruptPerTar: 2);
        cluster.Start("coordinator,aggregator");
        cluster.Start("worker", ("Worker__LeaseSeconds", "3"));
        Guid runId = await cluster.StartRunAsync(budget: 5);

        // Once the run is launched (its shards are listed), shard 3's tar is replaced by garbage: every attempt to
        // read it fails, so the shard is re-issued until it is failed, and the run still completes.
        var clock = Stopwatch.StartNew();
        while (await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1", runId) == 0 && clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(100);
        }

        await File.WriteAllBytesAsync(cluster.TarPath(3), Enumerable.Range(0, 5000).Select(i => (byte)(i * 13)).ToArray());
        RunState state = await cluster.WaitForRunAsync(runId, TimeSpan.FromMinutes(5));
        Assert.True(state == RunState.Completed, $"run {state}\n{cluster.Logs()}");

        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'failed' AND attempt = 3", runId));
        Assert.Equal(3, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done'", runId));
        Assert.Equal(6, await database.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1 AND item_id LIKE '%corrupt-%'", runId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND item_id LIKE 'shard-03/%'", runId));
    }

    [Fact]
    public async Task Stopping_and_restarting_RabbitMQ_during_a_run_loses_and_duplicates_nothing()
    {
        await using PrivateBroker broker = await PrivateBroker.StartAsync(5699);
        await using var cluster = new ClusterHarness(database, _directory);
        await cluster.BuildPoolAsync(idCount: 300, nearCount: 100, farCount: 20, labeledCount: 120, tars: 8);
        (string, string) bus = ("ConnectionStrings__RabbitMq", broker.ConnectionString);
        cluster.Start("coordinator,aggregator", bus, ("Aggregator__SweepSeconds", "2"));
        cluster.Start("worker", bus, ("Worker__LeaseSeconds", "6"), ("Worker__BatchSize", "4"));
        cluster.Start("worker", bus, ("Worker__LeaseSeconds", "6"), ("Worker__BatchSize", "4"));
        Guid runId = await cluster.StartRunAsync(budget: 10);

        bool restarted = false;
        RunState state = await cluster.WaitForRunAsync(runId, TimeSpan.FromMinutes(8), async progress =>
        {
            // Mid-run: some shards committed, others still to do.
            if (!restarted && progress.DoneShards >= 1 && progress.PendingShards + progress.LeasedShards >= 3)
            {
                await broker.DownAsync();
                Assert.False(broker.Listening());
                output.WriteLine($"broker stopped at {progress.DoneShards} done, {progress.LeasedShards} leased, {progress.PendingShards} pending shards");
                await Task.Delay(TimeSpan.FromSeconds(3));
                await broker.UpAsync();
                restarted = true;
            }
        });

        Assert.True(restarted, "the run finished before the broker could be stopped");
        Assert.True(state == RunState.Completed, $"run {state}\n{cluster.Logs()}");
        await AssertEveryItemOnceAsync(runId, 420);
    }

    [Fact]
    public async Task A_shard_that_crashes_every_worker_is_failed_after_its_attempts_and_the_run_completes()
    {
        await using var cluster = new ClusterHarness(database, _directory);
        await cluster.BuildPoolAsync(idCount: 240, nearCount: 60, farCount: 20, labeledCount: 100, tars: 4);
        // One shard at a time per worker: with two (the default) the process killed for holding shard 2 may hold another
        // shard too, which then loses an attempt with it — three such crashes can fail an innocent shard (README,
        // Worker__Concurrency); this test is about the poison shard's own attempts.
        (string, string)[] worker = [("Worker__LeaseSeconds", "4"), ("Worker__BatchSize", "2"), ("Worker__Concurrency", "1"), ("Worker__Prefetch", "1")];
        cluster.Start("coordinator,aggregator", ("Coordinator__LeaseCheckSeconds", "1"), ("Aggregator__SweepSeconds", "2"));
        cluster.Start("worker", worker);
        cluster.Start("worker", worker);
        Guid runId = await cluster.StartRunAsync(budget: 5);

        // Whatever process leases shard 2 dies at once, as if an item in it crashed the decoder natively: no exception,
        // no abandon, only a lease that stops being renewed and a message the broker redelivers to the other worker.
        const int Poison = 2;
        var crashes = new List<int>();
        using var stop = new CancellationTokenSource();
        Task crasher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var db = database.CreateDbContext();
                string? owner = await db.Shards.Where(s => s.RunId == runId && s.ShardId == Poison && s.State == ShardState.Leased)
                    .Select(s => s.LeaseOwner).SingleOrDefaultAsync();
                if (owner is not null && cluster.KillWorker(owner) is int pid)
                {
                    crashes.Add(pid);
                    output.WriteLine($"crashed worker {pid} holding shard {Poison}");
                    cluster.Start("worker", worker);
                }

                await Task.Delay(50);
            }
        });

        RunState state = await cluster.WaitForRunAsync(runId, TimeSpan.FromMinutes(6));
        await stop.CancelAsync();
        await crasher;

        Assert.True(state == RunState.Completed, $"run {state}\n{cluster.Logs()}");
        Assert.Equal(3, crashes.Count);
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND shard_id = $2 AND state = 'failed' AND attempt = 3", runId, Poison));
        Assert.Equal(3, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done'", runId));
        await using var context = database.CreateDbContext();
        RunProgress progress = await RunProgress.LoadAsync(context, runId);
        long poisonItems = await database.CountAsync("SELECT item_count FROM shards WHERE run_id = $1 AND shard_id = $2", runId, Poison);
        Assert.Equal(poisonItems, progress.ItemsInFailedShards);
        Assert.Equal(320 - poisonItems, progress.ItemsScored);
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND item_id LIKE 'shard-02/%'", runId));
    }

    [Fact]
    public async Task A_run_published_before_any_worker_existed_completes_once_a_worker_starts()
    {
        await using var cluster = new ClusterHarness(database, _directory);
        await cluster.BuildPoolAsync(idCount: 120, nearCount: 30, farCount: 10, labeledCount: 50, tars: 3);
        cluster.Start("coordinator,aggregator", ("Coordinator__LeaseCheckSeconds", "1"), ("Coordinator__RepublishSeconds", "3"), ("Aggregator__SweepSeconds", "2"));
        Guid runId = await cluster.StartRunAsync(budget: 5);

        // No worker has declared its queue yet: every ScoreShard published now is dropped at the exchange.
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2)
            && (await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1", runId) == 0
                || await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND published_at IS NULL", runId) > 0))
        {
            await Task.Delay(200);
        }

        Assert.True(await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND published_at IS NOT NULL", runId) > 0, $"the run was never published\n{cluster.Logs()}");
        output.WriteLine($"shards published after {clock.Elapsed}; starting the first worker");
        cluster.Start("worker");

        RunState state = await cluster.WaitForRunAsync(runId, TimeSpan.FromMinutes(3));

        Assert.True(state == RunState.Completed, $"run {state}\n{cluster.Logs()}");
        // A lost message costs no attempt.
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND attempt <> 1", runId));
        await AssertEveryItemOnceAsync(runId, 160);
    }

    private async Task AssertEveryItemOnceAsync(Guid runId, int items)
    {
        Assert.Equal(items, await database.CountAsync("SELECT (SELECT count(*) FROM item_scores WHERE run_id = $1) + (SELECT count(*) FROM item_errors WHERE run_id = $1)", runId));
        Assert.Equal(items, await database.CountAsync("SELECT count(DISTINCT item_id) FROM (SELECT item_id FROM item_scores WHERE run_id = $1 UNION ALL SELECT item_id FROM item_errors WHERE run_id = $1) x", runId));
    }
}
