using MassTransit;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Contracts;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Server.Messaging;

namespace SisomCluster.Server.Coordinator;

/// <summary>
/// Sends one <see cref="ScoreShard"/> per pending shard that has not been published (a new run, a re-issued
/// attempt, or a publish that failed while the broker was away) — and, for the sweep, per pending shard whose last
/// publish is older than a cutoff (the message was lost: dropped before a worker declared the queue, or parked in an
/// error queue) — and stamps <c>published_at</c>. The attempt is not changed, so a lost message costs no attempt. Only shards of
/// running runs: their scoring context exists. Publishing twice is harmless: a worker leases only pending shards.
/// </summary>
/// <remarks>
/// The message is sent to the workers' queue (<see cref="SisomQueues.ScoreShard"/>), not published to the message
/// type's exchange: the send declares the durable queue first, so a shard published before any worker ever started
/// waits in the queue instead of being dropped at an exchange with no binding. With publisher confirms
/// (<c>ServerHostExtensions</c>) a send returns once the broker holds the message; a send that throws leaves the shard
/// unstamped, and the shards stamped before it stay stamped: the database says what is on the bus.
/// </remarks>
public sealed class ShardPublisher(SisomDbContext db, SisomQueues queues, TimeProvider time)
{
    private const int BatchSize = 500;

    /// <param name="runId">One run (after its context is ready), or null for every running run (the coordinator's sweep).</param>
    /// <param name="republishBefore">Also publish again pending shards last published before this instant; null: only unpublished ones.</param>
    /// <returns>How many shards were published.</returns>
    public async Task<int> PublishPendingAsync(ISendEndpointProvider bus, Guid? runId, CancellationToken cancellationToken, DateTimeOffset? republishBefore = null)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ISendEndpoint workers = await bus.GetSendEndpoint(SisomQueues.QueueAddress(queues.ScoreShard)).ConfigureAwait(false);
        int published = 0;
        while (true)
        {
            IQueryable<Shard> query = db.Shards.Where(s => s.State == ShardState.Pending && db.Runs.Any(r => r.Id == s.RunId && r.State == RunState.Running));
            query = republishBefore is { } cutoff
                ? query.Where(s => s.PublishedAt == null || s.PublishedAt < cutoff)
                : query.Where(s => s.PublishedAt == null);
            if (runId is { } id)
            {
                query = query.Where(s => s.RunId == id);
            }

            List<Shard> batch = await query.OrderBy(s => s.RunId).ThenBy(s => s.ShardId).Take(BatchSize).ToListAsync(cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return published;
            }

            try
            {
                foreach (Shard shard in batch)
                {
                    await workers.Send(new ScoreShard { RunId = shard.RunId, ShardId = shard.ShardId, Attempt = shard.Attempt }, cancellationToken).ConfigureAwait(false);
                    shard.PublishedAt = time.GetUtcNow();
                    published++;
                }
            }
            finally
            {
                // Stamp what went out even when the broker fails half-way, so only the rest is sent again.
                await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                db.ChangeTracker.Clear();
            }
        }
    }
}
