using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Pgvector;
using SisomCluster.Data.Runs;

namespace SisomCluster.Data.Results;

/// <summary>
/// A run's features taken from an earlier run (<see cref="Run.EmbeddingsFrom"/>): the embeddings that run stored
/// (<c>item_scores.embedding</c>, <c>store_embeddings</c>) for the same pool and model version are exactly what the backbone
/// would give again, so the worker scores them instead of reading, decoding and embedding the items. Items the source run
/// holds no embedding for (new in the pool, failed there) are read and embedded as usual.
/// </summary>
/// <remarks>
/// Looked up per chunk of ids as a shard streams (<see cref="ReuseAsync{T}"/>), one query per chunk on the source run's
/// partition (<c>run_id = $1 AND item_id = ANY($2)</c>: its primary key). The column is <c>vector</c> (float32), so a read
/// back is bit-exact and the scores equal a fresh run's; a <c>halfvec</c> column (not used: ARCHITECTURE.md §6) would round
/// every value to 16 bits and the scores would differ in the 3rd–4th digit.
/// </remarks>
public sealed class StoredEmbeddings
{
    /// <summary>Ids looked up per query: the items a worker holds back while it asks (each item's bytes included).</summary>
    public const int ChunkSize = 128;

    private readonly SisomDbContext _db;

    private StoredEmbeddings(SisomDbContext db, Guid sourceRunId)
    {
        _db = db;
        SourceRunId = sourceRunId;
    }

    /// <summary>The run whose embeddings are re-scored.</summary>
    public Guid SourceRunId { get; }

    /// <summary>
    /// The newest completed run of <paramref name="poolId"/> with model <paramref name="modelName"/> at
    /// <paramref name="modelVersion"/> that stored embeddings; null when there is none.
    /// </summary>
    public static async Task<Guid?> NewestSourceAsync(SisomDbContext db, Guid poolId, string modelName, string? modelVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.Runs.AsNoTracking()
            .Where(r => r.PoolId == poolId && r.State == RunState.Completed && r.StoreEmbeddings && !EF.Functions.JsonContains(r.Options, RunRequests.IncrementalOptions) && r.ModelName == modelName && (modelVersion == null || r.ModelVersion == modelVersion))
            .OrderByDescending(r => r.CompletedAt).ThenByDescending(r => r.CreatedAt)
            .Select(r => (Guid?)r.Id)
            .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Why run <paramref name="sourceRunId"/> cannot give its embeddings to a run of <paramref name="poolId"/> with
    /// <paramref name="modelName"/> at <paramref name="modelVersion"/> ("embeddings_from: ..."), or null when it can. A null
    /// <paramref name="modelVersion"/> checks everything but the version (a caller that resolves it only when the rest fits).
    /// </summary>
    public static async Task<string?> ProblemAsync(SisomDbContext db, Guid sourceRunId, Guid poolId, string modelName, string? modelVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var source = await db.Runs.AsNoTracking().Where(r => r.Id == sourceRunId)
            .Select(r => new { r.PoolId, Pool = db.Pools.Where(p => p.Id == r.PoolId).Select(p => p.Name).FirstOrDefault(), r.ModelName, r.ModelVersion, r.State, r.StoreEmbeddings })
            .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return source is null ? $"embeddings_from: no run {sourceRunId}."
            : source.PoolId != poolId ? $"embeddings_from: run {sourceRunId} scored pool '{source.Pool}', not this one; embeddings are reused within one pool."
            : source.ModelName != modelName || (modelVersion is not null && source.ModelVersion != modelVersion) ? $"embeddings_from: run {sourceRunId} used model {source.ModelName}@{Short(source.ModelVersion)}, this run {modelName}@{Short(modelVersion ?? "?")}; another model's features would not fit."
            : !source.StoreEmbeddings ? $"embeddings_from: run {sourceRunId} stored no embeddings (start a run with store_embeddings to keep them)."
            : source.State != RunState.Completed ? $"embeddings_from: run {sourceRunId} is {source.State.ToString().ToLowerInvariant()}; only a completed run's embeddings are reused."
            : null;
    }

    /// <summary>
    /// For a run with <see cref="Run.EmbeddingsFrom"/>, what the worker re-scores; null for any other run. A source that no
    /// longer fits the run as launched (its model version, set at launch, differs: the model file changed after the request)
    /// gives null and <paramref name="refused"/> says why: every item is then embedded.
    /// </summary>
    public static async Task<StoredEmbeddings?> ForAsync(SisomDbContext db, Run run, Action<string>? refused = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(run);
        if (run.EmbeddingsFrom is not { } sourceRunId)
        {
            return null;
        }

        if (await ProblemAsync(db, sourceRunId, run.PoolId, run.ModelName, run.ModelVersion, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            refused?.Invoke(problem);
            return null;
        }

        return new StoredEmbeddings(db, sourceRunId);
    }

    /// <summary>The stored embeddings of those of <paramref name="ids"/> the source run holds one for, by id.</summary>
    public async Task<Dictionary<string, float[]>> LookupAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return new Dictionary<string, float[]>(StringComparer.Ordinal);
        }

        Guid run = SourceRunId;
        string[] wanted = [.. ids];
        var rows = await _db.ItemScores.AsNoTracking()
            .Where(s => s.RunId == run && wanted.Contains(s.ItemId) && s.Embedding != null)
            .Select(s => new { s.ItemId, s.Embedding })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return rows.ToDictionary(r => r.ItemId, r => ((Vector)r.Embedding!).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>
    /// <paramref name="items"/> in order, those the source run holds an embedding for replaced by
    /// <paramref name="withEmbedding"/> (which should drop the item's bytes); <paramref name="reused"/> hears how many each
    /// chunk replaced. At most <see cref="ChunkSize"/> items are held at a time.
    /// </summary>
    public async IAsyncEnumerable<T> ReuseAsync<T>(IAsyncEnumerable<T> items, Func<T, string> id, Func<T, float[], T> withEmbedding, Action<int>? reused = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(withEmbedding);
        var chunk = new List<T>(ChunkSize);
        await foreach (T item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            chunk.Add(item);
            if (chunk.Count == ChunkSize)
            {
                foreach (T replaced in await ReplaceAsync(chunk, id, withEmbedding, reused, cancellationToken).ConfigureAwait(false))
                {
                    yield return replaced;
                }

                chunk.Clear();
            }
        }

        foreach (T replaced in await ReplaceAsync(chunk, id, withEmbedding, reused, cancellationToken).ConfigureAwait(false))
        {
            yield return replaced;
        }
    }

    private async Task<List<T>> ReplaceAsync<T>(List<T> chunk, Func<T, string> id, Func<T, float[], T> withEmbedding, Action<int>? reused, CancellationToken cancellationToken)
    {
        Dictionary<string, float[]> stored = await LookupAsync([.. chunk.Select(id)], cancellationToken).ConfigureAwait(false);
        if (stored.Count == 0)
        {
            return [.. chunk];
        }

        reused?.Invoke(stored.Count);
        return [.. chunk.Select(i => stored.TryGetValue(id(i), out float[]? embedding) ? withEmbedding(i, embedding) : i)];
    }

    private static string Short(string version) => version.Length > 12 ? version[..12] : version;
}
