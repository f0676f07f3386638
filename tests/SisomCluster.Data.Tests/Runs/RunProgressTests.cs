using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Data.Tests.Results;
using Xunit;

namespace SisomCluster.Data.Tests.Runs;

public sealed class RunProgressTests : IClassFixture<DatabaseFixture>
{
    private readonly DatabaseFixture _fixture;

    public RunProgressTests(DatabaseFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public async Task Progress_counts_shards_per_state_and_items_from_the_shards_table()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid contextId = await Seed.ContextAsync(_fixture, poolId);
        Guid runId = await Seed.RunAsync(_fixture, poolId, shards: 5, maxAttempts: 1, itemsPerShard: 10);
        var clock = new ManualTimeProvider(new DateTimeOffset(2032, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var leases = new ShardLeases(_fixture.DataSource, clock);
        var writer = new ShardResultWriter(_fixture.DataSource);

        await writer.CommitAsync(runId, 0, 1, ScoreRows.Make(contextId, 9, prefix: "s0"), [new("s0/bad", "corrupt", "x", clock.GetUtcNow())]);
        await writer.CommitAsync(runId, 1, 1, ScoreRows.Make(contextId, 10, prefix: "s1"), []);
        await leases.LeaseAsync(runId, 2, 1, "w", TimeSpan.FromMinutes(1));
        await leases.LeaseAsync(runId, 3, 1, "w", TimeSpan.FromMinutes(1));
        clock.Advance(TimeSpan.FromMinutes(2));
        await leases.ReissueAsync(runId, 3, 1, "expired");

        RunProgress progress;
        await using (SisomDbContext db = _fixture.CreateDbContext())
        {
            progress = await RunProgress.LoadAsync(db, runId);
        }

        Assert.Equal(new RunProgress(runId, 1, 1, 2, 1, 50, 19, 1, 10), progress);
        Assert.Equal(5, progress.TotalShards);
        Assert.False(progress.IsFinished);
    }

    [Fact]
    public async Task A_run_is_finished_when_every_shard_is_done_or_failed()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid runId = await Seed.RunAsync(_fixture, poolId, shards: 2, maxAttempts: 1);
        var leases = new ShardLeases(_fixture.DataSource, TimeProvider.System);
        await new ShardResultWriter(_fixture.DataSource).CommitAsync(runId, 0, 1, [], []);
        await leases.ReissueAsync(runId, 1, 1, "gave up");

        await using SisomDbContext db = _fixture.CreateDbContext();
        RunProgress progress = await RunProgress.LoadAsync(db, runId);

        Assert.True(progress.IsFinished);
        Assert.Equal((1, 1), (progress.DoneShards, progress.FailedShards));
        Assert.False((await RunProgress.LoadAsync(db, Guid.NewGuid())).IsFinished);
    }

    [Fact]
    public async Task Items_an_incremental_run_left_out_count_as_done_so_a_finished_run_is_at_100_percent()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid contextId = await Seed.ContextAsync(_fixture, poolId);
        Guid runId = await Seed.RunAsync(_fixture, poolId, shards: 3, maxAttempts: 1, itemsPerShard: 10);
        var writer = new ShardResultWriter(_fixture.DataSource);

        // Shard 0: 6 of its 10 items were scored by an earlier run and left out; shard 1: all scored; shard 2 still pending.
        await writer.CommitAsync(runId, 0, 1, ScoreRows.Make(contextId, 4, prefix: "i0"), []);
        await writer.CommitAsync(runId, 1, 1, ScoreRows.Make(contextId, 10, prefix: "i1"), []);
        await using (SisomDbContext db = _fixture.CreateDbContext())
        {
            RunProgress running = await RunProgress.LoadAsync(db, runId);
            Assert.Equal((30L, 14L, 6L, 20L), (running.Items, running.ItemsScored, running.ItemsSkipped, running.ItemsDone));
        }

        await writer.CommitAsync(runId, 2, 1, [], []);
        await using (SisomDbContext db = _fixture.CreateDbContext())
        {
            RunProgress finished = await RunProgress.LoadAsync(db, runId);
            Assert.True(finished.IsFinished);
            Assert.Equal(16, finished.ItemsSkipped);
            Assert.Equal(finished.Items, finished.ItemsDone);
        }
    }
}
