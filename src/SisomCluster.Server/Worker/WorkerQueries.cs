using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Worker;

/// <summary>
/// The queries a shard begins with, written once: <see cref="ScoreShardConsumer"/> runs them for its shard and
/// <see cref="ScoringWarmUp"/> runs the very same ones at start-up for an id that does not exist, so that EF Core's model,
/// these queries' compiled forms (cached per expression shape) and their JIT-compiled code are ready before the first
/// shard arrives instead of on its clock.
/// </summary>
internal static class WorkerQueries
{
    public static Task<Run?> RunAsync(SisomDbContext db, Guid runId, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);

    public static Task<Pool?> PoolAsync(SisomDbContext db, Guid poolId, CancellationToken cancellationToken) =>
        db.Pools.AsNoTracking().SingleOrDefaultAsync(p => p.Id == poolId, cancellationToken);

    public static Task<int> ShardCountAsync(SisomDbContext db, Guid runId, CancellationToken cancellationToken) =>
        db.Shards.CountAsync(s => s.RunId == runId, cancellationToken);
}
