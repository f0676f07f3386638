using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Rounds;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Rounds;
using Xunit;

namespace SisomCluster.Server.Tests.Rounds;

/// <summary>
/// Rounds move on from their runs' state as stored in PostgreSQL (what the aggregator's sweep does after a restart, and
/// the api on read): completed with the selection's size, failed with the run's reason, failed when the run was deleted.
/// </summary>
public sealed class RoundProgressTests : IAsyncLifetime
{
    private readonly DatabaseFixture _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task A_round_follows_its_run_once_it_has_ended()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        Guid poolId = Guid.NewGuid();
        Guid completed = Guid.NewGuid(), failed = Guid.NewGuid(), running = Guid.NewGuid(), deleted = Guid.NewGuid();
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = "p", SourceKind = "directory", SourceUri = "/nowhere", CreatedAt = now });
            foreach ((Guid id, RunState state) in new[] { (completed, RunState.Completed), (failed, RunState.Failed), (running, RunState.Running), (deleted, RunState.Completed) })
            {
                db.Runs.Add(new Run { Id = id, PoolId = poolId, ModelName = "resnet18", ModelVersion = "v", State = state, ShardSize = 10, Quantile = 0.95, Budget = 2, CreatedAt = now, Error = state == RunState.Failed ? "model gone" : null });
            }

            db.Selections.AddRange(
                new Selection { RunId = completed, Rank = 1, ItemId = "a", Reason = "top_score", CreatedAt = now },
                new Selection { RunId = completed, Rank = 2, ItemId = "b", Reason = "top_score", CreatedAt = now });
            foreach ((string id, Guid run) in new[] { ("done", completed), ("broken", failed), ("busy", running), ("gone", deleted) })
            {
                db.Rounds.Add(new Round { Id = id, PoolId = poolId, LabelsSha256 = "h", Budget = 2, RunId = run, CreatedAt = now, UpdatedAt = now });
            }

            await db.SaveChangesAsync();
        }

        // The run of "gone" is deleted: the round keeps its history and forgets the run (ON DELETE SET NULL).
        Assert.Equal(1, await _database.CountAsync("WITH d AS (DELETE FROM runs WHERE id = $1 RETURNING 1) SELECT count(*) FROM d", deleted));

        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Assert.Equal(3, await RoundProgress.AdvanceAsync(db, now.AddMinutes(1)));
            Assert.Equal(0, await RoundProgress.AdvanceAsync(db, now.AddMinutes(2)));
        }

        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Dictionary<string, Round> rounds = await db.Rounds.AsNoTracking().ToDictionaryAsync(r => r.Id);
            Assert.Equal(RoundState.Completed, rounds["done"].State);
            Assert.Equal(2, rounds["done"].Selected);
            Assert.Equal(now.AddMinutes(1), rounds["done"].CompletedAt!.Value, TimeSpan.FromMilliseconds(1));
            Assert.Equal(RoundState.Failed, rounds["broken"].State);
            Assert.Equal($"run {failed} failed: model gone", rounds["broken"].Error);
            Assert.Null(rounds["broken"].Selected);
            Assert.Equal(RoundState.Running, rounds["busy"].State);
            Assert.Null(rounds["busy"].CompletedAt);
            Assert.Equal(RoundState.Failed, rounds["gone"].State);
            Assert.Null(rounds["gone"].RunId);
            Assert.Equal("the round's run was deleted", rounds["gone"].Error);
        }
    }

    [Fact]
    public async Task Reading_a_round_reports_the_state_the_sweep_will_write_and_writes_nothing()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        Guid poolId = Guid.NewGuid(), run = Guid.NewGuid();
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = "q", SourceKind = "directory", SourceUri = "/nowhere", CreatedAt = now });
            db.Runs.Add(new Run { Id = run, PoolId = poolId, ModelName = "resnet18", ModelVersion = "v", State = RunState.Failed, Error = "disk full", ShardSize = 10, Quantile = 0.95, Budget = 2, CreatedAt = now, CompletedAt = now.AddSeconds(30) });
            db.Rounds.Add(new Round { Id = "peek", PoolId = poolId, LabelsSha256 = "h", Budget = 2, RunId = run, CreatedAt = now, UpdatedAt = now });
            await db.SaveChangesAsync();
        }

        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Round read = (await RoundProgress.ReadAsync(db, now.AddMinutes(1), "peek"))!;
            Assert.Equal(RoundState.Failed, read.State);
            Assert.Equal($"run {run} failed: disk full", read.Error);
            Assert.Equal(now.AddSeconds(30), read.CompletedAt!.Value, TimeSpan.FromMilliseconds(1));
            Assert.Null(await RoundProgress.ReadAsync(db, now, "nothing"));
        }

        Assert.Equal(1, await _database.CountAsync("SELECT count(*) FROM rounds WHERE id = 'peek' AND state = 'running' AND error IS NULL"));
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Assert.Equal(1, await RoundProgress.AdvanceAsync(db, now.AddMinutes(1)));
        }

        Assert.Equal(1, await _database.CountAsync("SELECT count(*) FROM rounds WHERE id = 'peek' AND state = 'failed'"));
    }
}
