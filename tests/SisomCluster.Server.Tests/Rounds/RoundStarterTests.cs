using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Rounds;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Rounds;
using SisomCluster.Server.Runs;
using Xunit;

namespace SisomCluster.Server.Tests.Rounds;

/// <summary>
/// <see cref="RoundStarter"/> against PostgreSQL: labels, run and round row in one transaction; what a retry of the same
/// round id does; what makes two requests under one id different.
/// </summary>
public sealed class RoundStarterTests : IAsyncLifetime
{
    private readonly DatabaseFixture _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Labels_are_not_left_behind_when_the_round_cannot_be_written_after_they_were_imported()
    {
        (Guid poolId, string pool) = await PoolAsync();

        // The run cannot be created (quantile 2): that happens after the import, inside the round's transaction.
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            await Assert.ThrowsAsync<ArgumentException>(() => Starter(db).StartAsync("r-crash", pool, "id,label\na,0\nb,1\n", null, new RunRequest(pool, "resnet18", 3, Quantile: 2), CancellationToken.None));
        }

        Assert.Equal(0, await _database.CountAsync("SELECT count(*) FROM labels WHERE pool_id = $1", poolId));
        Assert.Equal(0, await _database.CountAsync("SELECT count(*) FROM rounds WHERE id = 'r-crash'"));
        Assert.Equal(0, await _database.CountAsync("SELECT count(*) FROM runs WHERE pool_id = $1", poolId));

        // The same request done right writes all three; its labels count as added, not as unchanged leftovers.
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            RoundStart start = await Starter(db).StartAsync("r-crash", pool, "id,label\na,0\nb,1\n", null, new RunRequest(pool, "resnet18", 3), CancellationToken.None);
            Assert.True(start.Created);
            Assert.Equal(2, start.Round.LabelsAdded);
            Assert.Equal(0, start.Round.LabelsUnchanged);
        }

        Assert.Equal(2, await _database.CountAsync("SELECT count(*) FROM labels WHERE pool_id = $1", poolId));
    }

    [Fact]
    public async Task A_retry_after_the_run_failed_but_before_the_sweep_starts_a_new_attempt()
    {
        // A CronJob retry can come before the aggregator's sweep has moved the round on: the POST advances that round first.
        (_, string pool) = await PoolAsync();
        const string Labels = "id,label\na,0\nb,1\n";
        var request = new RunRequest(pool, "resnet18", 3);
        RoundStart first;
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            first = await Starter(db).StartAsync("retry-before-sweep", pool, Labels, null, request, CancellationToken.None);
        }

        Assert.Equal(1, await _database.CountAsync("WITH u AS (UPDATE runs SET state = 'failed', error = 'worker lost' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", first.Round.RunId!.Value));
        RoundStart retry;
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            retry = await Starter(db).StartAsync("retry-before-sweep", pool, Labels, null, request, CancellationToken.None);
        }

        Assert.True(retry.Created);
        Assert.Equal(2, retry.Round.Attempt);
        Assert.NotEqual(first.Round.RunId, retry.Round.RunId);
    }

    [Fact]
    public async Task A_failed_round_asked_for_again_starts_a_new_attempt_and_a_finished_or_running_one_stays_as_it_is()
    {
        (Guid poolId, string pool) = await PoolAsync();
        const string Labels = "id,label\na,0\nb,1\n";
        var request = new RunRequest(pool, "resnet18", 3);
        RoundStart first;
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            first = await Starter(db).StartAsync("nightly", pool, Labels, null, request, CancellationToken.None);
        }

        // Running: the same request finds it.
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            RoundStart again = await Starter(db).StartAsync("nightly", pool, Labels, null, request, CancellationToken.None);
            Assert.False(again.Created);
            Assert.Equal(first.Round.RunId, again.Round.RunId);
        }

        // Its run fails: the round fails with it, and the same request is a second attempt with a new run.
        Assert.Equal(1, await _database.CountAsync("WITH u AS (UPDATE runs SET state = 'failed', error = 'worker lost' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", first.Round.RunId!.Value));
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Assert.Equal(1, await RoundProgress.AdvanceAsync(db, DateTimeOffset.UtcNow));
        }

        RoundStart retry;
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            retry = await Starter(db).StartAsync("nightly", pool, Labels, null, request, CancellationToken.None);
        }

        Assert.True(retry.Created);
        Assert.Equal(2, retry.Round.Attempt);
        Assert.Equal(RoundState.Running, retry.Round.State);
        Assert.NotEqual(first.Round.RunId, retry.Round.RunId);
        Assert.Null(retry.Round.Error);
        Assert.Equal((0, 2), (retry.Round.LabelsAdded, retry.Round.LabelsUnchanged));
        Assert.Equal(2, await _database.CountAsync("SELECT count(*) FROM runs WHERE pool_id = $1", poolId));
        Assert.Equal(1, await _database.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND state = 'failed'", first.Round.RunId!.Value));
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Round stored = await db.Rounds.AsNoTracking().SingleAsync(r => r.Id == "nightly");
            Assert.Equal((2, RoundState.Running, retry.Round.RunId), (stored.Attempt, stored.State, stored.RunId));
        }

        // The second attempt completes: asking again changes nothing any more.
        Assert.Equal(1, await _database.CountAsync("WITH u AS (UPDATE runs SET state = 'completed' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", retry.Round.RunId!.Value));
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Assert.Equal(1, await RoundProgress.AdvanceAsync(db, DateTimeOffset.UtcNow));
            RoundStart done = await Starter(db).StartAsync("nightly", pool, Labels, null, request, CancellationToken.None);
            Assert.False(done.Created);
            Assert.Equal((2, RoundState.Completed, retry.Round.RunId), (done.Round.Attempt, done.Round.State, done.Round.RunId));
        }

        Assert.Equal(2, await _database.CountAsync("SELECT count(*) FROM runs WHERE pool_id = $1", poolId));

        // A failed round is retried only by the same request: other labels under its id are still refused.
        Assert.Equal(1, await _database.CountAsync("WITH u AS (UPDATE rounds SET state = 'failed' WHERE id = 'nightly' RETURNING 1) SELECT count(*) FROM u"));
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            await Assert.ThrowsAsync<RoundConflictException>(() => Starter(db).StartAsync("nightly", pool, "id,label\nc,0\n", null, request, CancellationToken.None));
        }
    }

    [Fact]
    public async Task The_same_round_id_with_another_model_quantile_ood_score_or_class_names_is_a_conflict()
    {
        (_, string pool) = await PoolAsync();
        const string Labels = "id,label\na,0\nb,1\n";
        var request = new RunRequest(pool, "resnet18", 3, Quantile: 0.95, OodScore: "sisom");
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Assert.True((await Starter(db).StartAsync("r-6", pool, Labels, null, request, CancellationToken.None)).Created);
        }

        foreach ((RunRequest other, IReadOnlyList<string>? names, string difference) in new (RunRequest, IReadOnlyList<string>?, string)[]
        {
            (request with { Model = "other-model" }, null, "model resnet18, not other-model"),
            (request with { Quantile = 0.99 }, null, "quantile 0.95, not 0.99"),
            (request with { OodScore = "knn" }, null, "OOD score sisom, not knn"),
            (request, ["cat", "dog"], "class names '', not 'cat,dog'"),
        })
        {
            await using SisomDbContext db = _database.CreateDbContext();
            RoundConflictException e = await Assert.ThrowsAsync<RoundConflictException>(() => Starter(db).StartAsync("r-6", pool, Labels, names, other, CancellationToken.None));
            Assert.Contains($"round 'r-6' exists with {difference}", e.Message, StringComparison.Ordinal);
        }

        // The shard size does not change the result: the same round.
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Assert.False((await Starter(db).StartAsync("r-6", pool, Labels, null, request with { ShardSize = 7 }, CancellationToken.None)).Created);
        }
    }

    private static RoundStarter Starter(SisomDbContext db) =>
        new(db, new RunCreator(db, Options.Create(new RunOptions()), TimeProvider.System), TimeProvider.System);

    private async Task<(Guid Id, string Name)> PoolAsync()
    {
        Guid poolId = await Seed.PoolAsync(_database, ["a", "b", "c", "d"]);
        await using SisomDbContext db = _database.CreateDbContext();
        string name = await db.Pools.Where(p => p.Id == poolId).Select(p => p.Name).SingleAsync();
        return (poolId, name);
    }
}
