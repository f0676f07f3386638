using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Runs;

public sealed class RunCancellationTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly DateTimeOffset Now = new(2031, 5, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Cancelling_fails_pending_and_leased_shards_keeps_done_ones_and_nothing_can_lease_or_commit_after()
    {
        Guid poolId = await Seed.PoolAsync(fixture);
        Guid runId = await Seed.RunAsync(fixture, poolId, shards: 3, itemsPerShard: 2);
        await SetRunStateAsync(runId, RunState.Running);
        var leases = new ShardLeases(fixture.DataSource, new ManualTimeProvider(Now));
        var writer = new ShardResultWriter(fixture.DataSource);
        Assert.NotNull(await leases.LeaseAsync(runId, 0, 1, "worker-a", TimeSpan.FromMinutes(1)));
        Assert.Equal(ShardCommitStatus.Committed, (await writer.CommitAsync(runId, 0, 1, [], [new ItemErrorRow("a", "corrupt", "x", Now)])).Status);
        Assert.NotNull(await leases.LeaseAsync(runId, 1, 1, "worker-b", TimeSpan.FromMinutes(1)));

        RunCancelResult result;
        await using (SisomDbContext db = fixture.CreateDbContext())
        {
            result = await RunCancellation.CancelAsync(db, runId, Now);
        }

        Assert.Equal(new RunCancelResult(RunCancelStatus.Cancelled, RunState.Cancelled, 2), result);
        await using (SisomDbContext db = fixture.CreateDbContext())
        {
            Run run = await db.Runs.SingleAsync(r => r.Id == runId);
            Assert.Equal(RunState.Cancelled, run.State);
            Assert.Equal(Now, run.CompletedAt);
            List<Shard> shards = await db.Shards.Where(s => s.RunId == runId).OrderBy(s => s.ShardId).ToListAsync();
            Assert.Equal([ShardState.Done, ShardState.Failed, ShardState.Failed], shards.Select(s => s.State));
            Assert.All(shards.Skip(1), s => Assert.Equal(RunCancellation.ShardError, s.LastError));
            Assert.All(shards.Skip(1), s => Assert.Null(s.LeaseOwner));

            // The run reads as finished, with the unscored shards counted as failed, so nothing waits on it.
            RunProgress progress = await RunProgress.LoadAsync(db, runId);
            Assert.True(progress.IsFinished);
            Assert.Equal(2, progress.FailedShards);
        }

        // A queued ScoreShard for the pending shard is dropped; the worker holding shard 1 loses its heartbeat and its commit.
        Assert.Null(await leases.LeaseAsync(runId, 2, 1, "worker-c", TimeSpan.FromMinutes(1)));
        Assert.False(await leases.HeartbeatAsync(runId, 1, 1, "worker-b", TimeSpan.FromMinutes(1)));
        Assert.Equal(ShardCommitStatus.ShardFailed, (await writer.CommitAsync(runId, 1, 1, [], [new ItemErrorRow("b", "corrupt", "x", Now)])).Status);
        Assert.Equal(0, await fixture.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1 AND item_id = 'b'", runId));
    }

    [Theory]
    [InlineData(RunState.Completed, RunCancelStatus.Finished)]
    [InlineData(RunState.Failed, RunCancelStatus.Finished)]
    [InlineData(RunState.Cancelled, RunCancelStatus.AlreadyCancelled)]
    public async Task A_finished_run_is_left_as_it_is(RunState state, RunCancelStatus expected)
    {
        Guid poolId = await Seed.PoolAsync(fixture);
        Guid runId = await Seed.RunAsync(fixture, poolId, shards: 1);
        await SetRunStateAsync(runId, state);
        await using SisomDbContext db = fixture.CreateDbContext();

        RunCancelResult result = await RunCancellation.CancelAsync(db, runId, Now);

        Assert.Equal(expected, result.Status);
        Assert.Equal(state, result.State);
        Assert.Equal(1, await fixture.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'pending'", runId));
    }

    [Fact]
    public async Task An_unknown_run_is_not_found()
    {
        await using SisomDbContext db = fixture.CreateDbContext();
        Assert.Equal(RunCancelStatus.NotFound, (await RunCancellation.CancelAsync(db, Guid.NewGuid(), Now)).Status);
    }

    private async Task SetRunStateAsync(Guid runId, RunState state)
    {
        await using SisomDbContext db = fixture.CreateDbContext();
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, state));
    }
}
