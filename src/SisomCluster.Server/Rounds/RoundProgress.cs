using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Rounds;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Rounds;

/// <summary>
/// Moves running rounds on from their runs' state: a completed run completes its round (with the selection's size), a
/// failed, cancelled or deleted run fails it. The state lives in <c>rounds</c>, so the aggregator's sweep
/// (<c>RoundSweeper</c>) picks up after a restart; the api role calls the same step when a round is read, so a client
/// waiting on a round does not wait for the next sweep.
/// </summary>
public static class RoundProgress
{
    /// <summary>Advances every running round (of <paramref name="roundId"/> only, when given) whose run has ended; returns how many moved.</summary>
    public static async Task<int> AdvanceAsync(SisomDbContext db, DateTimeOffset now, string? roundId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        IQueryable<Round> running = db.Rounds.Where(r => r.State == RoundState.Running);
        if (roundId is not null)
        {
            running = running.Where(r => r.Id == roundId);
        }

        var ended = await (
            from r in running
            join x in db.Runs on r.RunId equals x.Id into runs
            from x in runs.DefaultIfEmpty()
            where x == null || x.State == RunState.Completed || x.State == RunState.Failed || x.State == RunState.Cancelled
            select new { r.Id, RunId = (Guid?)x.Id, State = (RunState?)x.State, Error = x.Error })
            .ToListAsync(cancellationToken).ConfigureAwait(false);

        int moved = 0;
        foreach (var round in ended)
        {
            int selected = round.RunId is not { } runId ? 0 : await db.Selections.CountAsync(s => s.RunId == runId, cancellationToken).ConfigureAwait(false);
            (RoundState state, string? error) = round.State switch
            {
                null => (RoundState.Failed, "the round's run was deleted"),
                RunState.Completed => (RoundState.Completed, null),
                RunState.Cancelled => (RoundState.Failed, $"run {round.RunId} was cancelled"),
                _ => (RoundState.Failed, $"run {round.RunId} failed: {round.Error ?? "no reason recorded"}"),
            };

            // Only a round still running moves: two sweeps (or a sweep and a read) write it once.
            moved += await db.Rounds
                .Where(r => r.Id == round.Id && r.State == RoundState.Running)
                .ExecuteUpdateAsync(
                    u => u.SetProperty(r => r.State, state)
                        .SetProperty(r => r.Error, error)
                        .SetProperty(r => r.Selected, state == RoundState.Completed ? selected : null)
                        .SetProperty(r => r.UpdatedAt, now)
                        .SetProperty(r => r.CompletedAt, now),
                    cancellationToken).ConfigureAwait(false);
        }

        return moved;
    }
}
