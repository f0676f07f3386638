using MassTransit;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Contracts;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Messaging;
using SisomCluster.Server.Pools;

namespace SisomCluster.Server.Coordinator;

/// <summary>
/// Launches runs (ARCHITECTURE.md §3): runs are requested by writing a pending row (<see cref="Runs.RunCreator"/>,
/// the API); <see cref="LaunchNextAsync"/> claims a pending run that has no shards yet (row lock, SKIP LOCKED, so
/// several coordinators never launch one run twice), lists the pool source once, writes one <c>shards</c> row per
/// shard and asks the aggregator for the scoring context; the shards are published when it is ready.
/// </summary>
/// <remarks>
/// <see cref="PrepareContext"/> is sent to the aggregator's queue (<see cref="SisomQueues.PrepareContext"/>), which the
/// send declares: a run launched before any aggregator ever started waits there instead of being dropped. The send
/// follows the commit (the aggregator reads the shards it lists); a send that fails or a message lost afterwards leaves the
/// run pending with shards and no context, which <see cref="AwaitingContextAsync"/> finds for <see cref="PendingRunLauncher"/>
/// to ask again (<see cref="RequestContextAsync"/>).
/// </remarks>
/// <param name="items">Registers the items an incremental run's listing finds that the pool lacks (a growing pool); null: not done.</param>
public sealed class RunLauncher(SisomDbContext db, SisomQueues queues, PoolAccess pools, TimeProvider time, ItemRegistry? items = null)
{
    /// <summary>Launches one pending run, if any; returns its id.</summary>
    public async Task<Guid?> LaunchNextAsync(ISendEndpointProvider bus, CancellationToken cancellationToken)
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
        // An incremental run is meant for a pool that grows (new shards under its prefix, new manifest lines): the items the
        // pool's registration did not see are added to it here (an id it has already is left as it is), so that the new
        // items have their source and capture time for drift, and a thumbnail.
        ItemRegistry? register = RunRequests.IsIncremental(run) ? items : null;
        await foreach (ListedShard shard in source.ListAsync(run.ShardSize, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (register is not null)
            {
                await register.AddItemsAsync(run.PoolId, shard.Items.Select(i => new ItemRow(i.Id, i.Uri, i.Source, i.CapturedAt)), cancellationToken).ConfigureAwait(false);
            }

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
        await RequestContextAsync(bus, run.Id, cancellationToken).ConfigureAwait(false);
        return run.Id;
    }

    /// <summary>Launched runs still waiting for their scoring context: pending, with shards, no context.</summary>
    public async Task<List<Guid>> AwaitingContextAsync(CancellationToken cancellationToken) =>
        await db.Runs.Where(r => r.State == RunState.Pending && r.ContextId == null && db.Shards.Any(s => s.RunId == r.Id))
            .Select(r => r.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Asks the aggregator (again) for a launched run's scoring context; the consumer reuses a context already built.</summary>
    public async Task RequestContextAsync(ISendEndpointProvider bus, Guid runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ISendEndpoint aggregators = await bus.GetSendEndpoint(SisomQueues.QueueAddress(queues.PrepareContext)).ConfigureAwait(false);
        await aggregators.Send(new PrepareContext { RunId = runId }, cancellationToken).ConfigureAwait(false);
    }
}
