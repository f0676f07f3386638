using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Results;

/// <summary>
/// Which attempt's commit lands, exactly once: redelivered and concurrent commits, stale and re-issued attempts, done,
/// failed and unknown shards, and the shard lock's idle limit — a frozen commit loses it, a slow live one keeps it.
/// What a commit writes: ShardResultWriterTests.
/// </summary>
public sealed class ShardCommitFencingTests : IClassFixture<DatabaseFixture>
{
    private static readonly DateTimeOffset At = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly DatabaseFixture _fixture;
    private readonly ShardResultWriter _writer;

    public ShardCommitFencingTests(DatabaseFixture fixture)
    {
        _fixture = fixture;
        _writer = new ShardResultWriter(fixture.DataSource);
    }

    [Fact]
    public async Task A_redelivered_commit_is_already_done_and_writes_no_duplicates()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        List<ItemScoreRow> scores = ScoreRows.Make(contextId, 30);
        ItemErrorRow[] errors = [new("bad.jpg", "corrupt", "x", At)];
        await _writer.CommitAsync(runId, 0, 1, scores, errors);

        ShardCommitOutcome again = await _writer.CommitAsync(runId, 0, 1, scores, errors);

        Assert.Equal(ShardCommitOutcome.NothingWritten(ShardCommitStatus.AlreadyDone), again);
        Assert.Equal(30, await _fixture.CountForRunAsync("item_scores", runId));
        Assert.Equal(1, await _fixture.CountForRunAsync("item_errors", runId));
    }

    [Fact]
    public async Task A_stale_attempt_writes_nothing()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        await Seed.SetAttemptAsync(_fixture, runId, 0, 2);

        ShardCommitOutcome outcome = await _writer.CommitAsync(runId, 0, 1, ScoreRows.Make(contextId, 10), [new("e", "corrupt", "x", At)]);

        Assert.Equal(ShardCommitStatus.StaleAttempt, outcome.Status);
        Assert.Equal(0, await _fixture.CountForRunAsync("item_scores", runId));
        Assert.Equal(0, await _fixture.CountForRunAsync("item_errors", runId));
        await using SisomDbContext db = _fixture.CreateDbContext();
        Assert.Equal(ShardState.Pending, (await db.Shards.SingleAsync(s => s.RunId == runId)).State);

        // The current attempt still commits.
        Assert.Equal(ShardCommitStatus.Committed, (await _writer.CommitAsync(runId, 0, 2, ScoreRows.Make(contextId, 10), [])).Status);
    }

    [Fact]
    public async Task Concurrent_commits_of_one_shard_commit_exactly_once()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        List<ItemScoreRow> scores = ScoreRows.Make(contextId, 2_000);
        ItemErrorRow[] errors = [new("bad.jpg", "corrupt", "x", At)];

        ShardCommitOutcome[] outcomes = await Task.WhenAll(
            Enumerable.Range(0, 4).Select(_ => Task.Run(() => _writer.CommitAsync(runId, 0, 1, scores, errors))));

        Assert.Single(outcomes, o => o.Status == ShardCommitStatus.Committed);
        Assert.Equal(3, outcomes.Count(o => o.Status == ShardCommitStatus.AlreadyDone));
        Assert.Equal(2_000, await _fixture.CountForRunAsync("item_scores", runId));
        Assert.Equal(1, await _fixture.CountForRunAsync("item_errors", runId));
        Assert.Equal(2_000, await _fixture.CountAsync("SELECT scored FROM shards WHERE run_id = $1", runId));
    }

    [Fact]
    public async Task A_second_commit_of_a_done_shard_is_refused_before_it_copies_anything()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, ShardCommit.ChunkRows + 5);
        Assert.Equal(ShardCommitStatus.Committed, (await _writer.CommitAsync(runId, 0, 1, rows, [])).Status);

        ShardCommit again = await _writer.BeginAsync(runId, 0, 1);
        await using (again)
        {
            Assert.Equal(ShardCommitStatus.AlreadyDone, again.Refused);
            await again.AddScoresAsync(rows);
            await again.AddErrorsAsync([new("bad.jpg", "corrupt", "x", At)]);

            // A full chunk was added, yet nothing went to the server: the refused commit has no transaction any more.
            Assert.Equal(0, again.ScoresStaged);
            Assert.Equal(0, again.ErrorsStaged);
            Assert.Equal(ShardCommitOutcome.NothingWritten(ShardCommitStatus.AlreadyDone), await again.CompleteAsync());
        }

        Assert.Equal(rows.Count, await _fixture.CountForRunAsync("item_scores", runId));
        Assert.Equal(0, await _fixture.CountForRunAsync("item_errors", runId));
        Assert.Equal(rows.Count, await _fixture.CountAsync("SELECT scored FROM shards WHERE run_id = $1", runId));
    }

    [Fact]
    public async Task A_stale_attempt_is_refused_at_begin_and_cannot_write()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        await Seed.SetAttemptAsync(_fixture, runId, 0, 2);

        ShardCommit stale = await _writer.BeginAsync(runId, 0, 1);
        await using (stale)
        {
            Assert.Equal(ShardCommitStatus.StaleAttempt, stale.Refused);
            await stale.AddScoresAsync(ScoreRows.Make(contextId, ShardCommit.ChunkRows + 1));
            Assert.Equal(0, stale.ScoresStaged);
            Assert.Equal(ShardCommitStatus.StaleAttempt, (await stale.CompleteAsync()).Status);
        }

        Assert.Equal(0, await _fixture.CountForRunAsync("item_scores", runId));
        Assert.Equal(ShardState.Pending, await _fixture.CreateDbContext().Shards.Where(s => s.RunId == runId).Select(s => s.State).SingleAsync());
    }

    [Fact]
    public async Task An_attempt_reissued_while_it_streams_is_rolled_back_and_the_new_attempt_waits_for_it()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, (ShardCommit.ChunkRows * 2) + 3);

        ShardCommit first = await _writer.BeginAsync(runId, 0, 1);
        Task<ShardCommit> second;
        await using (first)
        {
            Assert.Null(first.Refused);
            await first.AddScoresAsync(rows);
            Assert.Equal(ShardCommit.ChunkRows * 2, first.ScoresStaged);

            // The coordinator gives up on attempt 1 while its rows sit in the partition, uncommitted.
            await Seed.SetAttemptAsync(_fixture, runId, 0, 2);

            // Attempt 2 waits for the shard's commit lock instead of meeting attempt 1's rows in the primary key.
            second = _writer.BeginAsync(runId, 0, 2);
            await Task.Delay(500);
            Assert.False(second.IsCompleted);

            Assert.Equal(ShardCommitOutcome.NothingWritten(ShardCommitStatus.StaleAttempt), await first.CompleteAsync());
        }

        Assert.Equal(0, await _fixture.CountForRunAsync("item_scores", runId));
        ShardCommit current = await second.WaitAsync(TimeSpan.FromSeconds(30));
        await using (current)
        {
            Assert.Null(current.Refused);
            await current.AddScoresAsync(rows);
            Assert.Equal(new ShardCommitOutcome(ShardCommitStatus.Committed, rows.Count, 0), await current.CompleteAsync());
        }

        Assert.Equal(rows.Count, await _fixture.CountForRunAsync("item_scores", runId));
    }

    [Fact]
    public async Task A_frozen_commit_loses_the_shard_lock_after_its_idle_limit_and_the_reissued_attempt_commits()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        var writer = new ShardResultWriter(_fixture.DataSource, new ShardCommitLimits(IdleLimit: TimeSpan.FromSeconds(5)));
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, ShardCommit.ChunkRows + 3);

        ShardCommit frozen = await writer.BeginAsync(runId, 0, 1);
        await using (frozen)
        {
            // Attempt 1 COPYs a chunk, then its worker stops answering (SIGSTOP, a partitioned host) with the lock held:
            // its keep-alive stops with it.
            await frozen.AddScoresAsync(rows);
            await frozen.SuspendKeepAliveAsync();
            await Seed.SetAttemptAsync(_fixture, runId, 0, 2);

            // The re-issued attempt waits for the lock; past the idle limit PostgreSQL ends the frozen session and it goes on.
            Task<ShardCommit> second = writer.BeginAsync(runId, 0, 2);
            await Task.Delay(500);
            Assert.False(second.IsCompleted);
            ShardCommit current = await second.WaitAsync(TimeSpan.FromSeconds(30));
            await using (current)
            {
                Assert.Null(current.Refused);
                await current.AddScoresAsync(rows);
                Assert.Equal(new ShardCommitOutcome(ShardCommitStatus.Committed, rows.Count, 0), await current.CompleteAsync());
            }

            // The frozen worker wakes up: its session is gone, nothing of it can land.
            await Assert.ThrowsAnyAsync<Exception>(() => frozen.CompleteAsync());
        }

        Assert.Equal(rows.Count, await _fixture.CountForRunAsync("item_scores", runId));
    }

    [Fact]
    public async Task A_live_commit_that_goes_without_a_chunk_for_longer_than_the_idle_limit_keeps_its_transaction()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        var writer = new ShardResultWriter(_fixture.DataSource, new ShardCommitLimits(IdleLimit: TimeSpan.FromSeconds(5)));
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, ShardCommit.ChunkRows + 3);

        ShardCommit slow = await writer.BeginAsync(runId, 0, 1);
        await using (slow)
        {
            // A slow but live worker: one chunk, then nothing for twice the idle limit (items failing after HTTP retries).
            await slow.AddScoresAsync(rows);
            await Task.Delay(TimeSpan.FromSeconds(11));
            Assert.Equal(new ShardCommitOutcome(ShardCommitStatus.Committed, rows.Count, 0), await slow.CompleteAsync());
        }

        Assert.Equal(rows.Count, await _fixture.CountForRunAsync("item_scores", runId));
    }

    [Fact]
    public async Task A_failed_shard_or_an_unknown_one_takes_no_rows()
    {
        (Guid runId, Guid contextId) = await Seed.RunWithContextAsync(_fixture);
        await using (SisomDbContext db = _fixture.CreateDbContext())
        {
            await db.Shards.Where(s => s.RunId == runId).ExecuteUpdateAsync(u => u.SetProperty(s => s.State, ShardState.Failed));
        }

        Assert.Equal(ShardCommitStatus.ShardFailed, (await _writer.CommitAsync(runId, 0, 1, ScoreRows.Make(contextId, 3), [])).Status);
        Assert.Equal(ShardCommitStatus.UnknownShard, (await _writer.CommitAsync(runId, 7, 1, ScoreRows.Make(contextId, 3), [])).Status);
        Assert.Equal(0, await _fixture.CountForRunAsync("item_scores", runId));
    }
}
