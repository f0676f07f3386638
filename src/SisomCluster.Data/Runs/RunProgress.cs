using Microsoft.EntityFrameworkCore;

namespace SisomCluster.Data.Runs;

/// <summary>
/// A run's progress as the <c>shards</c> table says: the aggregator decides a run is finished from this, never by
/// counting <c>ShardScored</c> messages (which may be duplicated or lost).
/// </summary>
/// <param name="ItemsReused">Of <paramref name="ItemsScored"/>, the items scored from an earlier run's stored embeddings (<see cref="Run.EmbeddingsFrom"/>): no backbone pass.</param>
public sealed record RunProgress(
    Guid RunId,
    int PendingShards,
    int LeasedShards,
    int DoneShards,
    int FailedShards,
    long Items,
    long ItemsScored,
    long ItemsFailed,
    long ItemsInFailedShards,
    long ItemsSkipped = 0,
    long ItemsReused = 0)
{
    public int TotalShards => PendingShards + LeasedShards + DoneShards + FailedShards;

    /// <summary>
    /// Items the run is done with: scored, failed, listed in a failed shard, or left out by an incremental run
    /// (<see cref="ItemsSkipped"/>). Equals <see cref="Items"/> once the run is finished, so a progress bar over it reaches 100 %.
    /// </summary>
    public long ItemsDone => ItemsScored + ItemsFailed + ItemsInFailedShards + ItemsSkipped;

    /// <summary>Every shard is done or failed (and there is at least one).</summary>
    public bool IsFinished => TotalShards > 0 && PendingShards == 0 && LeasedShards == 0;

    public static async Task<RunProgress> LoadAsync(SisomDbContext db, Guid runId, CancellationToken cancellationToken = default) =>
        (await LoadManyAsync(db, [runId], cancellationToken).ConfigureAwait(false))[runId];

    /// <summary>The progress of several runs in one query (a page of a run list).</summary>
    public static async Task<Dictionary<Guid, RunProgress>> LoadManyAsync(SisomDbContext db, IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(runIds);
        var groups = await db.Shards
            .Where(s => runIds.Contains(s.RunId))
            .GroupBy(s => new { s.RunId, s.State })
            .Select(g => new
            {
                g.Key.RunId,
                g.Key.State,
                Shards = g.Count(),
                Items = g.Sum(s => (long)s.ItemCount),
                Scored = g.Sum(s => (long)s.Scored),
                Failed = g.Sum(s => (long)s.Failed),

                // A done shard's items that were neither scored nor failed: an incremental run left them out (scored before).
                Skipped = g.Sum(s => s.State == ShardState.Done && s.ItemCount > s.Scored + s.Failed ? (long)(s.ItemCount - s.Scored - s.Failed) : 0L),
                Reused = g.Sum(s => (long)s.Reused),
            })
            .ToListAsync(cancellationToken)
            .ConfigureAwait(false);
        return runIds.Distinct().ToDictionary(id => id, id =>
        {
            var mine = groups.Where(g => g.RunId == id).ToList();
            int Shards(ShardState state) => mine.FirstOrDefault(g => g.State == state)?.Shards ?? 0;
            return new RunProgress(
                id,
                Shards(ShardState.Pending),
                Shards(ShardState.Leased),
                Shards(ShardState.Done),
                Shards(ShardState.Failed),
                mine.Sum(g => g.Items),
                mine.Sum(g => g.Scored),
                mine.Sum(g => g.Failed),
                mine.Where(g => g.State == ShardState.Failed).Sum(g => g.Items),
                mine.Sum(g => g.Skipped),
                mine.Sum(g => g.Reused));
        });
    }
}
