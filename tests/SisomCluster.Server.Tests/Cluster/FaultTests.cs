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

    private async Task AssertEveryItemOnceAsync(Guid runId, int items)
    {
        Assert.Equal(items, await database.CountAsync("SELECT (SELECT count(*) FROM item_scores WHERE run_id = $1) + (SELECT count(*) FROM item_errors WHERE run_id = $1)", runId));
        Assert.Equal(items, await database.CountAsync("SELECT count(DISTINCT item_id) FROM (SELECT item_id FROM item_scores WHERE run_id = $1 UNION ALL SELECT item_id FROM item_errors WHERE run_id = $1) x", runId));
    }
}
