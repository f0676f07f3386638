using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Runs;

namespace SisomCluster.Data.Results;

/// <summary>
/// What an incremental run (<see cref="RunRequests.IsIncremental"/>) leaves out: the items that an earlier completed run of
/// the same pool scored against a scoring context with the same model version and reference version — scores that would
/// come out the same again (and with KNN alike: a run with KNN scores again what a run without it left without a knn score). A new model or new labels (a new reference version) make every item new. Items that earlier
/// runs failed on (<c>item_errors</c>) or never reached (a failed shard) are scored again.
/// </summary>
/// <remarks>
/// Looked up per chunk of ids as a shard streams (<see cref="SkipScoredAsync{T}"/>), by partition: <c>item_scores</c> is
/// partitioned by run, so <c>run_id = ANY(earlier runs) AND item_id = ANY(chunk)</c> probes each earlier run's primary key.
/// Two incremental runs of one pool running at once do not see each other's scores (neither is completed): both score
/// the new items.
/// </remarks>
public sealed class EarlierScores
{
    /// <summary>Ids looked up per query: the items a worker holds back while it asks (each item's bytes included).</summary>
    public const int ChunkSize = 128;

    private readonly SisomDbContext _db;

    private EarlierScores(SisomDbContext db, IReadOnlyList<Guid> runs)
    {
        _db = db;
        Runs = runs;
    }

    /// <summary>The earlier completed runs whose scores count.</summary>
    public IReadOnlyList<Guid> Runs { get; }

    /// <summary>For an incremental <paramref name="run"/> with its context: the earlier runs; null for any other run.</summary>
    public static async Task<EarlierScores?> ForAsync(SisomDbContext db, Run run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(run);
        if (!RunRequests.IsIncremental(run) || run.ContextId is not { } contextId)
        {
            return null;
        }

        var context = await db.ScoringContexts.AsNoTracking().Where(c => c.Id == contextId)
            .Select(c => new { c.ModelVersion, c.ReferenceVersion, c.Knn, c.KnnK })
            .SingleAsync(cancellationToken).ConfigureAwait(false);
        List<Guid> runs = await db.Runs.AsNoTracking()
            .Where(r => r.PoolId == run.PoolId && r.Id != run.Id && r.State == RunState.Completed && r.ContextId != null
                && db.ScoringContexts.Any(c => c.Id == r.ContextId && c.ModelVersion == context.ModelVersion && c.ReferenceVersion == context.ReferenceVersion
                    && c.Knn == context.Knn && c.KnnK == context.KnnK))
            .Select(r => r.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return new EarlierScores(db, runs);
    }

    /// <summary>Those of <paramref name="ids"/> an earlier run scored.</summary>
    public async Task<HashSet<string>> ScoredAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (Runs.Count == 0 || ids.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        Guid[] runs = [.. Runs];
        string[] wanted = [.. ids];
        List<string> found = await _db.ItemScores.AsNoTracking()
            .Where(s => runs.Contains(s.RunId) && wanted.Contains(s.ItemId))
            .Select(s => s.ItemId)
            .Distinct()
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return new HashSet<string>(found, StringComparer.Ordinal);
    }

    /// <summary>
    /// <paramref name="items"/> without those an earlier run scored, in order; <paramref name="skipped"/> hears how many
    /// each chunk dropped. At most <see cref="ChunkSize"/> items are held at a time.
    /// </summary>
    public async IAsyncEnumerable<T> SkipScoredAsync<T>(IAsyncEnumerable<T> items, Func<T, string> id, Action<int>? skipped = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(id);
        var chunk = new List<T>(ChunkSize);
        await foreach (T item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            chunk.Add(item);
            if (chunk.Count == ChunkSize)
            {
                foreach (T kept in await KeepAsync(chunk, id, skipped, cancellationToken).ConfigureAwait(false))
                {
                    yield return kept;
                }

                chunk.Clear();
            }
        }

        foreach (T kept in await KeepAsync(chunk, id, skipped, cancellationToken).ConfigureAwait(false))
        {
            yield return kept;
        }
    }

    private async Task<List<T>> KeepAsync<T>(List<T> chunk, Func<T, string> id, Action<int>? skipped, CancellationToken cancellationToken)
    {
        HashSet<string> scored = await ScoredAsync([.. chunk.Select(id)], cancellationToken).ConfigureAwait(false);
        List<T> kept = [.. chunk.Where(i => !scored.Contains(id(i)))];
        if (chunk.Count > kept.Count)
        {
            skipped?.Invoke(chunk.Count - kept.Count);
        }

        return kept;
    }
}
