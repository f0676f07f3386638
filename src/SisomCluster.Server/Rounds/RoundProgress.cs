using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Rounds;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Rounds;

/// <summary>
/// Moves running rounds on from their runs' state: a completed run completes its round (with the selection's size), a
/// failed, cancelled or deleted run fails it. The state lives in <c>rounds</c> and the aggregator's sweep
/// (<c>RoundSweeper</c>) writes it, so it picks up after a restart; a POST of the same round id advances that one round
/// first (RoundStarter), so a retry sees a failed run's round as failed. A reader (<c>GET /rounds/{id}</c>) need not wait for the
/// next sweep: <see cref="ReadAsync"/> reports the state the sweep will write, without writing.
/// </summary>
public static class RoundProgress
{
    /// <summary>Advances every running round (of <paramref name="roundId"/> only, when given) whose run has ended; returns how many moved.</summary>
    public static async Task<int> AdvanceAsync(SisomDbContext db, DateTimeOffset now, string? roundId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        int moved = 0;
        foreach (Outcome round in await EndedAsync(db, roundId, cancellationToken).ConfigureAwait(false))
        {
            // Only a round still running moves: two sweeps write it once.
            moved += await db.Rounds
                .Where(r => r.Id == round.Id && r.State == RoundState.Running)
                .ExecuteUpdateAsync(
                    u => u.SetProperty(r => r.State, round.State)
                        .SetProperty(r => r.Error, round.Error)
                        .SetProperty(r => r.Selected, round.Selected)
                        .SetProperty(r => r.UpdatedAt, now)
                        .SetProperty(r => r.CompletedAt, now),
                    cancellationToken).ConfigureAwait(false);
        }

        return moved;
    }

    /// <summary>
    /// The round as the next sweep will leave it: a running round whose run has ended is reported completed or failed (its
    /// completion time the run's), the stored row is not changed. Null when there is no such round.
    /// </summary>
    public static async Task<Round?> ReadAsync(SisomDbContext db, DateTimeOffset now, string roundId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        Round? round = await db.Rounds.AsNoTracking().SingleOrDefaultAsync(r => r.Id == roundId, cancellationToken).ConfigureAwait(false);
        if (round is not { State: RoundState.Running })
        {
            return round;
        }

        if ((await EndedAsync(db, roundId, cancellationToken).ConfigureAwait(false)).SingleOrDefault() is { } ended)
        {
            round.State = ended.State;
            round.Error = ended.Error;
            round.Selected = ended.Selected;
            round.CompletedAt = ended.RunCompletedAt ?? now;
        }

        return round;
    }

    /// <summary>The running rounds whose runs have ended, with the state, error and selection size they end with.</summary>
    private static async Task<List<Outcome>> EndedAsync(SisomDbContext db, string? roundId, CancellationToken cancellationToken)
    {
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
            select new { r.Id, RunId = (Guid?)x.Id, State = (RunState?)x.State, Error = x.Error, CompletedAt = (DateTimeOffset?)x.CompletedAt })
            .ToListAsync(cancellationToken).ConfigureAwait(false);

        var outcomes = new List<Outcome>(ended.Count);
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
            outcomes.Add(new Outcome(round.Id, state, error, state == RoundState.Completed ? selected : null, round.CompletedAt));
        }

        return outcomes;
    }

    private sealed record Outcome(string Id, RoundState State, string? Error, int? Selected, DateTimeOffset? RunCompletedAt);
}
