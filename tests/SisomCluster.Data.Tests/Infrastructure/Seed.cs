using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Scoring;

namespace SisomCluster.Data.Tests.Infrastructure;

/// <summary>Rows the tests build on: every call makes new ids, so tests sharing a fixture's schema never see each other's rows.</summary>
public static class Seed
{
    public static async Task<Guid> PoolAsync(DatabaseFixture fixture, IEnumerable<string>? itemIds = null)
    {
        var pool = new Pool { Id = Guid.NewGuid(), Name = $"pool-{Guid.NewGuid():N}", SourceKind = "directory", SourceUri = "/data/pool" };
        await using (SisomDbContext db = fixture.CreateDbContext())
        {
            db.Pools.Add(pool);
            await db.SaveChangesAsync();
        }

        if (itemIds is not null)
        {
            await new ItemRegistry(fixture.DataSource).AddItemsAsync(pool.Id, itemIds.Select(id => new ItemRow(id)));
        }

        return pool.Id;
    }

    public static async Task<Guid> ContextAsync(DatabaseFixture fixture, Guid poolId)
    {
        var context = new ScoringContext
        {
            Id = Guid.NewGuid(),
            PoolId = poolId,
            ModelVersion = "sha256:model",
            ReferenceVersion = "sha256:refs",
            Alpha = 0.5,
            NeighbourRank = 1,
            ClassCount = 10,
            StateDimension = 4,
            Quantile = 0.95,
        };
        await using SisomDbContext db = fixture.CreateDbContext();
        db.ScoringContexts.Add(context);
        await db.SaveChangesAsync();
        return context.Id;
    }

    /// <returns>The run id; its shards are numbered 0..shards−1, pending, attempt 1, <paramref name="itemsPerShard"/> items each.</returns>
    public static async Task<Guid> RunAsync(
        DatabaseFixture fixture, Guid poolId, int shards = 1, int maxAttempts = 3, int itemsPerShard = 100)
    {
        var run = new Run
        {
            Id = Guid.NewGuid(),
            PoolId = poolId,
            ModelName = "resnet18",
            ModelVersion = "sha256:model",
            ShardSize = itemsPerShard,
            MaxAttempts = maxAttempts,
            Quantile = 0.95,
            Budget = 10,
        };
        await using SisomDbContext db = fixture.CreateDbContext();
        db.Runs.Add(run);
        for (int s = 0; s < shards; s++)
        {
            db.Shards.Add(new Shard { RunId = run.Id, ShardId = s, ItemCount = itemsPerShard, Descriptor = $$"""{"tar": "shard-{{s}}.tar"}""" });
        }

        await db.SaveChangesAsync();
        return run.Id;
    }

    /// <returns>A pool with a stored scoring context and a run over it (<see cref="RunAsync"/>'s shards).</returns>
    public static async Task<(Guid RunId, Guid ContextId)> RunWithContextAsync(DatabaseFixture fixture, int shards = 1)
    {
        Guid poolId = await PoolAsync(fixture);
        Guid contextId = await ContextAsync(fixture, poolId);
        return (await RunAsync(fixture, poolId, shards), contextId);
    }

    /// <summary>Sets a shard's attempt, as the coordinator does when it re-issues it.</summary>
    public static async Task SetAttemptAsync(DatabaseFixture fixture, Guid runId, int shardId, int attempt)
    {
        await using SisomDbContext db = fixture.CreateDbContext();
        await db.Shards.Where(s => s.RunId == runId && s.ShardId == shardId).ExecuteUpdateAsync(u => u.SetProperty(s => s.Attempt, attempt));
    }
}
