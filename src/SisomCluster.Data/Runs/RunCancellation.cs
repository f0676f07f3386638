using Microsoft.EntityFrameworkCore;

namespace SisomCluster.Data.Runs;

/// <summary>
/// Cancels a run: the run becomes <see cref="RunState.Cancelled"/> and every shard not yet done becomes
/// <see cref="ShardState.Failed"/> with <c>last_error = 'cancelled'</c>, in one transaction.
/// </summary>
/// <remarks>
/// Failing the shards (rather than a new shard state) keeps every reader right without a change: a worker leases only
/// pending shards, so a queued <c>ScoreShard</c> is dropped; a worker already scoring one loses its lease at the next
/// heartbeat (it is no longer <c>leased</c>) and its commit is refused (<c>ShardFailed</c>); the coordinator publishes
/// only shards of running runs; <see cref="RunProgress"/> counts them as failed, so the run reads as finished; and the
/// aggregator finalises only runs that are running, so a cancelled run gets no selection. Done shards keep their scores.
/// </remarks>
public static class RunCancellation
{
    public const string ShardError = "cancelled";

    public static async Task<RunCancelResult> CancelAsync(SisomDbContext db, Guid runId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Locks the run row: a coordinator launching it (FOR UPDATE) or an aggregator finalising it finishes first, and
        // then this sees its outcome (shards written, or the run completed and no longer cancellable).
        Run? run = await db.Runs.FromSql($"SELECT * FROM runs WHERE id = {runId} FOR UPDATE").SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return new RunCancelResult(RunCancelStatus.NotFound, null, 0);
        }

        if (run.State is not (RunState.Pending or RunState.Running))
        {
            return new RunCancelResult(run.State == RunState.Cancelled ? RunCancelStatus.AlreadyCancelled : RunCancelStatus.Finished, run.State, 0);
        }

        int shards = await db.Shards.Where(s => s.RunId == runId && (s.State == ShardState.Pending || s.State == ShardState.Leased))
            .ExecuteUpdateAsync(
                u => u.SetProperty(s => s.State, ShardState.Failed)
                    .SetProperty(s => s.LastError, ShardError)
                    .SetProperty(s => s.LeaseOwner, (string?)null)
                    .SetProperty(s => s.LeaseExpiresAt, (DateTimeOffset?)null)
                    .SetProperty(s => s.FinishedAt, now),
                cancellationToken).ConfigureAwait(false);
        run.State = RunState.Cancelled;
        run.CompletedAt = now;
        run.Error = "cancelled";
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new RunCancelResult(RunCancelStatus.Cancelled, RunState.Cancelled, shards);
    }
}
