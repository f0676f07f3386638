using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Runs;

public sealed class ShardLeasesTests : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan LeaseTime = TimeSpan.FromMinutes(2);

    private readonly DatabaseFixture _fixture;

    // A new clock per test (xUnit makes a new instance per test). The class's tests share one schema, so ExpiredAsync may
    // also list shards of earlier tests: the assertions look at their own run only.
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2031, 5, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly ShardLeases _leases;

    public ShardLeasesTests(DatabaseFixture fixture)
    {
        _fixture = fixture;
        _leases = new ShardLeases(fixture.DataSource, _clock);
    }

    [Fact]
    public async Task A_worker_leases_the_attempt_its_message_names()
    {
        Guid runId = await RunAsync();

        ShardLease? lease = await _leases.LeaseAsync(runId, 0, 1, "worker-a", LeaseTime);

        Assert.NotNull(lease);
        Assert.Equal(_clock.GetUtcNow() + LeaseTime, lease.ExpiresAt);
        Assert.Equal(100, lease.ItemCount);
        Assert.Contains("shard-0.tar", lease.Descriptor, StringComparison.Ordinal);
        Shard shard = await ShardAsync(runId, 0);
        Assert.Equal(ShardState.Leased, shard.State);
        Assert.Equal("worker-a", shard.LeaseOwner);
        Assert.Equal(_clock.GetUtcNow(), shard.StartedAt);
    }

    [Fact]
    public async Task A_wrong_attempt_or_a_finished_shard_cannot_be_leased()
    {
        Guid runId = await RunAsync(shards: 2);
        await new ShardResultWriter(_fixture.DataSource).CommitAsync(runId, 1, 1, [], []);

        Assert.Null(await _leases.LeaseAsync(runId, 0, 2, "worker-a", LeaseTime));
        Assert.Null(await _leases.LeaseAsync(runId, 1, 1, "worker-a", LeaseTime));
        Assert.Null(await _leases.LeaseAsync(runId, 9, 1, "worker-a", LeaseTime));
    }

    [Fact]
    public async Task A_redelivered_message_cannot_take_a_leased_shard_and_the_next_attempt_comes_when_the_lease_ends()
    {
        Guid runId = await RunAsync();
        await _leases.LeaseAsync(runId, 0, 1, "worker-a", LeaseTime);
        _clock.Advance(TimeSpan.FromMinutes(1));

        // worker-a died; the broker hands its message to worker-b: the shard is still leased, so the message is dropped.
        Assert.Null(await _leases.LeaseAsync(runId, 0, 1, "worker-b", LeaseTime));
        Assert.Equal("worker-a", (await ShardAsync(runId, 0)).LeaseOwner);

        // Even after the lease ran out the same attempt cannot be taken: only the coordinator's re-issue brings the shard back.
        _clock.Advance(LeaseTime);
        Assert.Null(await _leases.LeaseAsync(runId, 0, 1, "worker-b", LeaseTime));
        Assert.Equal(ShardReissueStatus.Reissued, (await _leases.ReissueAsync(runId, 0, 1, "lease expired")).Status);
        Assert.Equal("worker-b", (await _leases.LeaseAsync(runId, 0, 2, "worker-b", LeaseTime))?.Owner);
    }

    [Fact]
    public async Task An_abandoned_lease_is_reissued_at_once_with_the_reason()
    {
        Guid runId = await RunAsync();
        await _leases.LeaseAsync(runId, 0, 1, "worker-a", LeaseTime);

        Assert.False(await _leases.AbandonAsync(runId, 0, 1, "worker-b", "not mine"));
        Assert.Equal(ShardReissueStatus.NotReissued, (await _leases.ReissueAsync(runId, 0, 1, "lease expired")).Status);
        Assert.True(await _leases.AbandonAsync(runId, 0, 1, "worker-a", "InvalidDataException: bad tar"));

        Assert.Contains(await _leases.ExpiredAsync(), e => e.RunId == runId && e.ShardId == 0);
        Assert.False(await _leases.HeartbeatAsync(runId, 0, 1, "worker-a", LeaseTime));
        Assert.Equal(ShardReissueStatus.Reissued, (await _leases.ReissueAsync(runId, 0, 1, "lease expired")).Status);
        Assert.Equal("InvalidDataException: bad tar", (await ShardAsync(runId, 0)).LastError);
    }

    [Fact]
    public async Task Heartbeats_keep_a_lease_from_expiring()
    {
        Guid runId = await RunAsync();
        await _leases.LeaseAsync(runId, 0, 1, "worker-a", LeaseTime);

        for (int i = 0; i < 5; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            Assert.True(await _leases.HeartbeatAsync(runId, 0, 1, "worker-a", LeaseTime));
            Assert.DoesNotContain(await _leases.ExpiredAsync(), e => e.RunId == runId);
        }

        Assert.Equal(_clock.GetUtcNow() + LeaseTime, (await ShardAsync(runId, 0)).LeaseExpiresAt);
        _clock.Advance(LeaseTime);
        ExpiredShard expired = Assert.Single(await _leases.ExpiredAsync(), e => e.RunId == runId);
        Assert.Equal((0, 1, "worker-a"), (expired.ShardId, expired.Attempt, expired.LeaseOwner));
    }

    [Fact]
    public async Task An_expired_lease_is_reissued_with_the_next_attempt()
    {
        Guid runId = await RunAsync();
        await _leases.LeaseAsync(runId, 0, 1, "worker-a", LeaseTime);
        _clock.Advance(LeaseTime + TimeSpan.FromSeconds(1));
        Assert.Single(await _leases.ExpiredAsync(), e => e.RunId == runId);

        ShardReissue reissue = await _leases.ReissueAsync(runId, 0, 1, "lease of worker-a expired");

        Assert.Equal(new ShardReissue(ShardReissueStatus.Reissued, 2), reissue);
        Shard shard = await ShardAsync(runId, 0);
        Assert.Equal((ShardState.Pending, 2, null, "lease of worker-a expired"), (shard.State, shard.Attempt, shard.LeaseOwner, shard.LastError));
        Assert.DoesNotContain(await _leases.ExpiredAsync(), e => e.RunId == runId);

        // The old attempt is over: it can neither take the lease back nor commit; the new one can.
        Assert.False(await _leases.HeartbeatAsync(runId, 0, 1, "worker-a", LeaseTime));
        Assert.Null(await _leases.LeaseAsync(runId, 0, 1, "worker-a", LeaseTime));
        var writer = new ShardResultWriter(_fixture.DataSource);
        Assert.Equal(ShardCommitStatus.StaleAttempt, (await writer.CommitAsync(runId, 0, 1, [], [])).Status);
        Assert.NotNull(await _leases.LeaseAsync(runId, 0, 2, "worker-b", LeaseTime));
        Assert.Equal(ShardCommitStatus.Committed, (await writer.CommitAsync(runId, 0, 2, [], [])).Status);
    }

    [Fact]
    public async Task A_lease_that_is_still_running_is_not_reissued()
    {
        Guid runId = await RunAsync();
        await _leases.LeaseAsync(runId, 0, 1, "worker-a", LeaseTime);
        _clock.Advance(LeaseTime - TimeSpan.FromSeconds(1));

        Assert.Equal(new ShardReissue(ShardReissueStatus.NotReissued, 1), await _leases.ReissueAsync(runId, 0, 1, "too early"));
        Assert.Equal(new ShardReissue(ShardReissueStatus.NotReissued, 2), await _leases.ReissueAsync(runId, 0, 2, "no such attempt"));
        Assert.Equal(ShardState.Leased, (await ShardAsync(runId, 0)).State);
    }

    [Fact]
    public async Task A_shard_fails_after_max_attempts()
    {
        Guid runId = await RunAsync(maxAttempts: 3);

        for (int attempt = 1; attempt <= 3; attempt++)
        {
            Assert.NotNull(await _leases.LeaseAsync(runId, 0, attempt, $"worker-{attempt}", LeaseTime));
            _clock.Advance(LeaseTime);
            ShardReissue reissue = await _leases.ReissueAsync(runId, 0, attempt, $"attempt {attempt} expired");
            Assert.Equal(
                attempt < 3 ? (ShardReissueStatus.Reissued, attempt + 1, null) : (ShardReissueStatus.Failed, 3, "attempt 3 expired"),
                (reissue.Status, reissue.Attempt, reissue.LastError));
        }

        Shard shard = await ShardAsync(runId, 0);
        Assert.Equal((ShardState.Failed, 3, "attempt 3 expired"), (shard.State, shard.Attempt, shard.LastError));
        Assert.Equal(_clock.GetUtcNow(), shard.FinishedAt);
        Assert.Null(await _leases.LeaseAsync(runId, 0, 3, "worker-late", LeaseTime));
        Assert.Equal(new ShardReissue(ShardReissueStatus.NotReissued, 3), await _leases.ReissueAsync(runId, 0, 3, "again"));
        Assert.Equal(ShardCommitStatus.ShardFailed, (await new ShardResultWriter(_fixture.DataSource).CommitAsync(runId, 0, 3, [], [])).Status);
    }

    [Fact]
    public async Task A_pending_shard_whose_message_was_lost_can_be_reissued()
    {
        Guid runId = await RunAsync();

        Assert.Equal(new ShardReissue(ShardReissueStatus.Reissued, 2), await _leases.ReissueAsync(runId, 0, 1, "never picked up"));
    }

    [Fact]
    public async Task A_failed_shard_gets_one_shard_failed_row_per_listed_item_in_its_own_transaction()
    {
        Guid runId = await RunAsync(maxAttempts: 1);
        await _leases.LeaseAsync(runId, 0, 1, "worker-a", LeaseTime);
        _clock.Advance(LeaseTime);
        string? seen = null;

        ShardReissue reissue = await _leases.ReissueAsync(runId, 0, 1, "lease of worker-a expired", d => (seen = d) is null ? null : ["a.jpg", "b.jpg", "c.jpg"]);

        Assert.Equal((ShardReissueStatus.Failed, 1, "lease of worker-a expired"), (reissue.Status, reissue.Attempt, reissue.LastError));
        Assert.Contains("shard-0.tar", seen, StringComparison.Ordinal);
        Assert.Equal(3, await _fixture.CountAsync(
            "SELECT count(*) FROM item_errors WHERE run_id = $1 AND shard_id = 0 AND reason = 'shard_failed' AND detail = 'shard 0 failed after 1 attempts: lease of worker-a expired'", runId));

        // A second sweep (another coordinator, or the next tick) neither fails the shard again nor writes the rows again.
        Assert.Equal(ShardReissueStatus.NotReissued, (await _leases.ReissueAsync(runId, 0, 1, "again", _ => ["a.jpg", "b.jpg", "c.jpg", "d.jpg"])).Status);
        Assert.Equal(3, await _fixture.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1", runId));
    }

    [Fact]
    public async Task A_reissued_shard_writes_no_rows()
    {
        Guid runId = await RunAsync(maxAttempts: 2);
        await _leases.LeaseAsync(runId, 0, 1, "worker-a", LeaseTime);
        _clock.Advance(LeaseTime);

        Assert.Equal(ShardReissueStatus.Reissued, (await _leases.ReissueAsync(runId, 0, 1, "expired", _ => ["a.jpg"])).Status);
        Assert.Equal(0, await _fixture.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1", runId));
    }

    [Fact]
    public async Task When_writing_the_failed_rows_fails_the_shard_stays_as_it_was()
    {
        // A trigger refuses one row after the UPDATE has failed the shard: the state change must roll back with the rows.
        await using (var connection = await _fixture.DataSource.OpenConnectionAsync())
        await using (var command = new Npgsql.NpgsqlCommand(
            """
            CREATE OR REPLACE FUNCTION refuse_poison_item() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.item_id LIKE 'poison%' THEN RAISE EXCEPTION 'injected: item_errors refuses %', NEW.item_id; END IF;
                RETURN NEW;
            END $$;
            CREATE OR REPLACE TRIGGER refuse_poison_item BEFORE INSERT ON item_errors FOR EACH ROW EXECUTE FUNCTION refuse_poison_item();
            """,
            connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        Guid runId = await RunAsync(maxAttempts: 1);
        await _leases.LeaseAsync(runId, 0, 1, "worker-a", LeaseTime);
        _clock.Advance(LeaseTime);

        var e = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => _leases.ReissueAsync(runId, 0, 1, "expired", _ => ["a.jpg", "poison.jpg"]));
        Assert.Contains("injected", e.MessageText, StringComparison.Ordinal);

        Shard shard = await ShardAsync(runId, 0);
        Assert.Equal((ShardState.Leased, 1, "worker-a", (DateTimeOffset?)null), (shard.State, shard.Attempt, shard.LeaseOwner, shard.FinishedAt));
        Assert.Equal(0, await _fixture.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1", runId));
        Assert.Single(await _leases.ExpiredAsync(), x => x.RunId == runId);

        // The next sweep does both.
        Assert.Equal(ShardReissueStatus.Failed, (await _leases.ReissueAsync(runId, 0, 1, "expired", _ => ["a.jpg", "b.jpg"])).Status);
        Assert.Equal(2, await _fixture.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1 AND reason = 'shard_failed'", runId));
        Assert.Equal(ShardState.Failed, (await ShardAsync(runId, 0)).State);
    }

    private Task<Guid> RunAsync(int shards = 1, int maxAttempts = 3) => RunWithPoolAsync(shards, maxAttempts);

    private async Task<Guid> RunWithPoolAsync(int shards, int maxAttempts)
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        return await Seed.RunAsync(_fixture, poolId, shards, maxAttempts);
    }

    private async Task<Shard> ShardAsync(Guid runId, int shardId)
    {
        await using SisomDbContext db = _fixture.CreateDbContext();
        return await db.Shards.AsNoTracking().SingleAsync(s => s.RunId == runId && s.ShardId == shardId);
    }
}
