using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SisomCluster.Contracts;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Server.Coordinator;

/// <summary>
/// Starts a run (ARCHITECTURE.md §3): lists the pool source once, writes one <c>shards</c> row per shard,
/// and asks the aggregator for the scoring context; the shards are published when it is ready.
/// </summary>
public sealed class RunLauncher(SisomDbContext db, IPublishEndpoint bus, IOptions<CoordinatorOptions> options, TimeProvider time)
{
    public async Task<Guid> StartAsync(RunRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Budget < 1)
        {
            throw new ArgumentException($"The selection budget must be >= 1, got {request.Budget}.", nameof(request));
        }

        Data.Pools.Pool pool = await db.Pools.AsNoTracking().SingleOrDefaultAsync(p => p.Name == request.Pool, cancellationToken).ConfigureAwait(false)
            ?? throw new ArgumentException($"No pool named '{request.Pool}'.", nameof(request));
        IPoolSource source = PoolSources.Open(Enum.Parse<PoolSourceKind>(pool.SourceKind, ignoreCase: true), pool.SourceUri);
        int shardSize = request.ShardSize ?? options.Value.ShardSize;
        PoolListing listing = source.List(shardSize);
        DateTimeOffset now = time.GetUtcNow();
        var run = new Run
        {
            Id = Guid.NewGuid(),
            PoolId = pool.Id,
            ModelName = request.Model,
            ModelVersion = "pending",
            State = RunState.Pending,
            ShardSize = shardSize,
            MaxAttempts = options.Value.MaxAttempts,
            Quantile = request.Quantile,
            StoreEmbeddings = request.StoreEmbeddings,
            Budget = request.Budget,
            CreatedAt = now,
        };
        db.Runs.Add(run);
        foreach (ShardDescriptor shard in listing.Shards)
        {
            db.Shards.Add(new Shard
            {
                RunId = run.Id,
                ShardId = shard.Index,
                State = ShardState.Pending,
                Attempt = 1,
                Descriptor = shard.ToJson(),
                ItemCount = shard.ItemCount,
            });
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await bus.Publish(new PrepareContext { RunId = run.Id }, cancellationToken).ConfigureAwait(false);
        return run.Id;
    }
}
