using MassTransit;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Contracts;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Pools;

namespace SisomCluster.Server.Coordinator;

/// <summary>
/// Launches runs (ARCHITECTURE.md §3): runs are requested by writing a pending row (<see cref="Runs.RunCreator"/>,
/// the API); <see cref="LaunchNextAsync"/> claims a pending run that has no shards yet (row lock, SKIP LOCKED, so
/// several coordinators never launch one run twice), lists the pool source once, writes one <c>shards</c> row per
/// shard and asks the aggregator for the scoring context; the shards are published when it is ready.
/// </summary>
public sealed class RunLauncher(SisomDbContext db, PoolAccess pools, TimeProvider time)
{
    /// <summary>Launches one pending run, if any; returns its id.</summary>
    public async Task<Guid?> LaunchNextAsync(IPublishEndpoint bus, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bus);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        Run? run = await db.Runs
            .FromSql($"SELECT * FROM runs r WHERE r.state = 'pending' AND NOT EXISTS (SELECT 1 FROM shards s WHERE s.run_id = r.id) ORDER BY r.created_at LIMIT 1 FOR UPDATE SKIP LOCKED")
            .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return null;
        }

        Data.Pools.Pool pool = await db.Pools.AsNoTracking().SingleAsync(p => p.Id == run.PoolId, cancellationToken).ConfigureAwait(false);
        IPoolSource source;
        try
        {
            source = pools.Open(pool.SourceKind, pool.SourceUri);
        }
        catch (PoolOutsideRootsException e)
        {
            // Registered before Pools__AllowedRoots changed (or by hand): the run fails at once instead of reading outside.
            run.State = RunState.Failed;
            run.Error = $"pool: {e.Message}";
            run.CompletedAt = time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return run.Id;
        }

        // Streamed: a shard's items are dropped once its row is added; the descriptor is the source's own JSON, stored as is.
        await foreach (ListedShard shard in source.ListAsync(run.ShardSize, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            db.Shards.Add(new Shard
            {
                RunId = run.Id,
                ShardId = shard.Index,
                State = ShardState.Pending,
                Attempt = 1,
                Descriptor = shard.Descriptor,
                ItemCount = shard.ItemCount,
            });
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        await bus.Publish(new PrepareContext { RunId = run.Id }, cancellationToken).ConfigureAwait(false);
        return run.Id;
    }
}
