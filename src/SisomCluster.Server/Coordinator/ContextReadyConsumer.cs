using MassTransit;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Contracts;
using SisomCluster.Data;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Coordinator;

/// <summary>Publishes one <see cref="ScoreShard"/> per pending shard once the run's context exists. Idempotent: published shards are skipped.</summary>
public sealed class ContextReadyConsumer(SisomDbContext db, TimeProvider time) : IConsumer<ContextReady>
{
    public async Task Consume(ConsumeContext<ContextReady> context)
    {
        Guid runId = context.Message.RunId;
        List<Shard> shards = await db.Shards
            .Where(s => s.RunId == runId && s.State == ShardState.Pending && s.PublishedAt == null)
            .OrderBy(s => s.ShardId)
            .ToListAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (Shard shard in shards)
        {
            await context.Publish(new ScoreShard { RunId = runId, ShardId = shard.ShardId, Attempt = shard.Attempt }, context.CancellationToken).ConfigureAwait(false);
            shard.PublishedAt = time.GetUtcNow();
        }

        await db.SaveChangesAsync(context.CancellationToken).ConfigureAwait(false);
    }
}
