using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using SisomCluster.Core;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;
using SisomCluster.Server.Scoring;

namespace SisomCluster.Server.Worker;

/// <summary>
/// The worker's pipeline for one shard: read → decode → batch → infer (Inference) → SISOM (Core).
/// Items that carry an embedding (re-scoring from stored features) skip the model; items that
/// cannot be read or decoded become <see cref="FailedItem"/>s. Never throws for a bad item. A pool item that is also a
/// labeled reference item of the context is scored with itself left out of T (SISOM.md §5) on both paths.
/// </summary>
public sealed class ShardScorer
{
    /// <summary>Stored embeddings are scored this many rows at a time (one <see cref="SisomScorer.Score"/> call).</summary>
    public const int EmbeddingBatchRows = 4096;

    private readonly Func<FeatureExtractor>? _model;
    private readonly PipelineOptions _pipeline;

    /// <param name="extractor">The model; null for shards of precomputed embeddings.</param>
    public ShardScorer(FeatureExtractor? extractor, PipelineOptions? pipeline = null)
        : this(extractor is null ? null : (Func<FeatureExtractor>)(() => extractor), pipeline ?? new PipelineOptions())
    {
    }

    private ShardScorer(Func<FeatureExtractor>? model, PipelineOptions pipeline)
    {
        _model = model;
        _pipeline = pipeline;
    }

    /// <summary>
    /// A scorer of image shards that asks <paramref name="model"/> for the model the first time an item needs it (an image
    /// to embed): a shard whose items all carry an embedding (stored ones re-scored, labeled items from the context) never
    /// calls it, so no ONNX Runtime session is built for it.
    /// </summary>
    public static ShardScorer WithModelOnDemand(Func<FeatureExtractor> model, PipelineOptions? pipeline = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ShardScorer(model, pipeline ?? new PipelineOptions());
    }

    /// <summary>Scores items held in memory (tests, re-scoring); see the streamed overload.</summary>
    public Task<ShardScores> ScoreAsync(IEnumerable<PoolItem> items, LoadedContext context, bool keepEmbeddings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        return ScoreAsync(items.ToAsyncEnumerable(), context, keepEmbeddings, cancellationToken);
    }

    /// <summary>
    /// Scores a shard and keeps every result in memory (tests and tools over small shards). The worker streams instead
    /// (<see cref="ScoreAsync(IAsyncEnumerable{PoolItem}, LoadedContext, bool, Func{ShardScoreBatch, CancellationToken, ValueTask}, CancellationToken)"/>),
    /// so that a shard's results, embeddings included, never sit in memory whole.
    /// </summary>
    public async Task<ShardScores> ScoreAsync(IAsyncEnumerable<PoolItem> items, LoadedContext context, bool keepEmbeddings, CancellationToken cancellationToken)
    {
        var scored = new List<ScoredItem>();
        var failed = new List<FailedItem>();
        ShardScoreSummary summary = await ScoreAsync(
            items,
            context,
            keepEmbeddings,
            (batch, _) =>
            {
                scored.AddRange(batch.Scored);
                failed.AddRange(batch.Failed);
                return ValueTask.CompletedTask;
            },
            cancellationToken).ConfigureAwait(false);
        return new ShardScores(scored, failed) { Stages = summary.Stages };
    }

    /// <summary>
    /// Scores a shard as its source streams it (<see cref="IPoolSource.ReadAsync"/>): images are pulled a batch ahead of
    /// inference, and the results go to <paramref name="sink"/> batch by batch as they are scored (one call at a time, in
    /// order; a slow sink holds the pipeline back through its bounded channels). Nothing is kept once the sink has
    /// returned, so memory stays bounded by a batch (and one chunk of stored embeddings), not by the shard.
    /// </summary>
    public async Task<ShardScoreSummary> ScoreAsync(
        IAsyncEnumerable<PoolItem> items,
        LoadedContext context,
        bool keepEmbeddings,
        Func<ShardScoreBatch, CancellationToken, ValueTask> sink,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sink);
        const int EmbeddingBatch = EmbeddingBatchRows;
        const int FailureBatch = 4096;
        var failed = new ConcurrentQueue<FailedItem>();
        var embedded = new List<PoolItem>();
        var stages = new StageTimings();
        var scorer = new SisomScorer(context.Scoring);
        int dimension = context.Scoring.Head.FeatureDimension;
        IReadOnlyList<StateLayer> layers = context.Scoring.Layers;

        // A labeled reference item was embedded by the reference phase with this model, and its features h travel with the
        // context (the KNN bank): it is scored from them, not decoded and embedded a second time (ARCHITECTURE.md §3 step 0).
        FeatureMatrix? referenceFeatures = _model is not null && layers.Count == 0 ? context.ReferenceFeatures ?? context.Scoring.Knn?.ReferenceFeatures : null;

        // The reader (which may run on the pipeline's producer) and the batch callback both emit: one at a time.
        using var gate = new SemaphoreSlim(1, 1);
        int scoredCount = 0;
        int failedCount = 0;

        async ValueTask EmitAsync(IReadOnlyList<ScoredItem> scored, CancellationToken token)
        {
            await gate.WaitAsync(token).ConfigureAwait(false);
            try
            {
                var failures = new List<FailedItem>();
                while (failed.TryDequeue(out FailedItem? failure))
                {
                    failures.Add(failure);
                }

                if (scored.Count == 0 && failures.Count == 0)
                {
                    return;
                }

                scoredCount += scored.Count;
                failedCount += failures.Count;
                await sink(new ShardScoreBatch(scored, failures), token).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }

        async ValueTask ScoreEmbeddedAsync(CancellationToken token)
        {
            if (embedded.Count == 0)
            {
                return;
            }

            // Uninitialised (8 MB a batch of 4 096 × 512): every row is copied in below, or the batch fails and is dropped.
            float[] data = GC.AllocateUninitializedArray<float>(embedded.Count * dimension);
            var ids = new string[embedded.Count];
            for (int i = 0; i < embedded.Count; i++)
            {
                if (embedded[i].Embedding!.Length != dimension)
                {
                    throw new InvalidDataException($"Item '{embedded[i].Id}' has an embedding of length {embedded[i].Embedding!.Length}, the context expects {dimension}.");
                }

                embedded[i].Embedding!.CopyTo(data, i * dimension);
                ids[i] = embedded[i].Id;
            }

            // The source and capture time the pool source read with each item travel to the commit (drift buckets, DriftLookup.Rows).
            (string? Source, DateTimeOffset? CapturedAt)[] origins = [.. embedded.Select(e => (e.Source, e.CapturedAt))];
            embedded.Clear();
            long scoreStart = Stopwatch.GetTimestamp();
            var features = new FeatureMatrix(data, ids.Length, dimension);
            var scored = new List<ScoredItem>(ids.Length);
            Collect(scorer.Score(features, context.MemberIndices(ids)), features, ids, context, keepEmbeddings, scored, origins);
            long scoreEnd = Stopwatch.GetTimestamp();
            await EmitAsync(scored, token).ConfigureAwait(false);
            lock (stages)
            {
                stages.Add("score", scoreStart, scoreEnd);
            }
        }

        async IAsyncEnumerable<SourceImage> Images()
        {
            await foreach (PoolItem item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (item.ErrorCode is { } code)
                {
                    failed.Enqueue(new FailedItem(item.Id, code, item.Error ?? string.Empty));
                }
                else if (item.Embedding is not null && layers.Count > 0)
                {
                    // A stored embedding is h alone; the context's z also needs the item's layer states (SISOM.md §3.2).
                    failed.Enqueue(NoLayerStates(item.Id));
                }
                else if (item.Embedding is null && referenceFeatures is not null && context.MemberIndex(item.Id) is int member and >= 0)
                {
                    embedded.Add(new PoolItem { Id = item.Id, Embedding = referenceFeatures.Row(member).ToArray() });
                    if (embedded.Count == EmbeddingBatch)
                    {
                        await ScoreEmbeddedAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                else if (item.Embedding is not null)
                {
                    embedded.Add(item);
                    if (embedded.Count == EmbeddingBatch)
                    {
                        await ScoreEmbeddedAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    yield return new SourceImage(item.Id, item.Bytes);
                }

                if (failed.Count >= FailureBatch)
                {
                    await EmitAsync([], cancellationToken).ConfigureAwait(false);
                }
            }
        }

        if (_model is null)
        {
            // Without a model the whole source is read here (embeddings shards): that loop is the read stage.
            long readStart = Stopwatch.GetTimestamp();
            await foreach (SourceImage image in Images().ConfigureAwait(false))
            {
                failed.Enqueue(new FailedItem(image.Id, "no_model", "the shard has images but this worker runs without a model"));
            }

            stages.Add("read", readStart, Stopwatch.GetTimestamp());
        }
        else
        {
            // The first image decides whether the model is needed at all: items that carry an embedding are scored while
            // the source is read up to it, and a shard of nothing else ends here without a session.
            long peekStart = Stopwatch.GetTimestamp();
            IAsyncEnumerator<SourceImage> images = Images().GetAsyncEnumerator(cancellationToken);
            await using ConfiguredAsyncDisposable disposeImages = images.ConfigureAwait(false);
            if (!await images.MoveNextAsync().ConfigureAwait(false))
            {
                stages.Add("read", peekStart, Stopwatch.GetTimestamp());
                await ScoreEmbeddedAsync(cancellationToken).ConfigureAwait(false);
                await EmitAsync([], cancellationToken).ConfigureAwait(false);
                return new ShardScoreSummary(scoredCount, failedCount) { Stages = stages };
            }

            FeatureExtractor extractor = _model();
            if (extractor.FeatureDimension != dimension)
            {
                throw new InvalidOperationException($"The model gives D = {extractor.FeatureDimension}, the scoring context expects D = {dimension}.");
            }

            if (layers.Count > 0 && !LayerStates.SameLayers(extractor.StateLayers, layers))
            {
                throw new InvalidOperationException($"The scoring context combines layers {string.Join(", ", layers.Select(l => l.Name))}; model {extractor.Model.Manifest.Name} outputs {(extractor.StateLayers.Count == 0 ? "none" : string.Join(", ", extractor.StateLayers.Select(l => l.Name)))} (or with other alpha).");
            }

            PipelineStatistics statistics = await new EmbeddingPipeline(extractor, _pipeline).RunAsync(
                FromCurrent(images),
                async (batch, token) =>
                {
                    foreach (ItemFailure failure in batch.Failures)
                    {
                        failed.Enqueue(new FailedItem(failure.Id, failure.Code, failure.Detail));
                    }

                    var scored = new List<ScoredItem>(batch.Count);
                    if (batch.Count > 0)
                    {
                        long scoreStart = Stopwatch.GetTimestamp();
                        var features = new FeatureMatrix(batch.Features.AsSpan(0, batch.Count * dimension).ToArray(), batch.Count, dimension);
                        LayerStates? states = layers.Count > 0 ? batch.ToLayerStates() : null;
                        ReadOnlySpan<string> ids = batch.Ids.AsSpan(0, batch.Count);
                        Collect(scorer.Score(features, context.MemberIndices(ids), states), features, ids, context, keepEmbeddings, scored);
                        lock (stages)
                        {
                            stages.Add("score", scoreStart, Stopwatch.GetTimestamp());
                        }
                    }

                    await EmitAsync(scored, token).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);

            // Reading and decoding share the producer, batch after batch: one window, separate busy times.
            int batches = (statistics.Items + _pipeline.BatchSize - 1) / _pipeline.BatchSize;
            stages.Add("read", statistics.ReadDecodeWindow, statistics.ReadTime, batches);
            stages.Add("decode", statistics.ReadDecodeWindow, statistics.DecodeTime, batches);
            stages.Add("infer", statistics.InferenceWindow, statistics.InferenceTime, batches);
        }

        await ScoreEmbeddedAsync(cancellationToken).ConfigureAwait(false);
        await EmitAsync([], cancellationToken).ConfigureAwait(false);
        return new ShardScoreSummary(scoredCount, failedCount) { Stages = stages };
    }

    /// <summary>
    /// Scores a shard of stored embeddings read as blocks of rows (<see cref="EmbeddingsPoolSource.ReadBlocksAsync"/>): the
    /// same scores and failures to <paramref name="sink"/> as <see cref="ScoreAsync(IAsyncEnumerable{PoolItem}, LoadedContext, bool, Func{ShardScoreBatch, CancellationToken, ValueTask}, CancellationToken)"/>
    /// over the same items (batches may be cut elsewhere: an item's scores depend on the context alone), with each block's
    /// feature array scored as it is (no per-item arrays, no copy); a block of more than <see cref="EmbeddingBatchRows"/>
    /// rows is scored a batch at a time.
    /// </summary>
    public async Task<ShardScoreSummary> ScoreBlocksAsync(
        IAsyncEnumerable<EmbeddingBlock> blocks,
        LoadedContext context,
        bool keepEmbeddings,
        Func<ShardScoreBatch, CancellationToken, ValueTask> sink,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sink);
        var stages = new StageTimings();
        var scorer = new SisomScorer(context.Scoring);
        int dimension = context.Scoring.Head.FeatureDimension;
        bool layered = context.Scoring.Layers.Count > 0;
        int scoredCount = 0;
        int failedCount = 0;
        IAsyncEnumerator<EmbeddingBlock> reader = blocks.GetAsyncEnumerator(cancellationToken);
        await using ConfiguredAsyncDisposable disposeReader = reader.ConfigureAwait(false);
        while (true)
        {
            long readStart = Stopwatch.GetTimestamp();
            if (!await reader.MoveNextAsync().ConfigureAwait(false))
            {
                break;
            }

            EmbeddingBlock block = reader.Current;
            stages.Add("read", readStart, Stopwatch.GetTimestamp());
            if (layered)
            {
                // A stored embedding is h alone; the context's z also needs the item's layer states (SISOM.md §3.2).
                FailedItem[] failures = [.. block.Ids.Select(NoLayerStates)];
                failedCount += failures.Length;
                await sink(new ShardScoreBatch([], failures), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (block.Dimension != dimension)
            {
                throw new InvalidDataException($"Item '{block.Ids[0]}' has an embedding of length {block.Dimension}, the context expects {dimension}.");
            }

            for (int start = 0; start < block.Count; start += EmbeddingBatchRows)
            {
                // A block of more rows than a batch (a caller's choice) is scored a batch at a time, as the item path does.
                int rows = Math.Min(EmbeddingBatchRows, block.Count - start);
                long scoreStart = Stopwatch.GetTimestamp();
                var features = rows == block.Count
                    ? new FeatureMatrix(block.Features, rows, dimension)
                    : new FeatureMatrix(block.Features.AsSpan(start * dimension, rows * dimension).ToArray(), rows, dimension);
                ReadOnlySpan<string> ids = block.Ids.AsSpan(start, rows);
                var scored = new List<ScoredItem>(rows);
                Collect(scorer.Score(features, context.MemberIndices(ids)), features, ids, context, keepEmbeddings, scored);
                stages.Add("score", scoreStart, Stopwatch.GetTimestamp());
                scoredCount += scored.Count;
                await sink(new ShardScoreBatch(scored, []), cancellationToken).ConfigureAwait(false);
            }
        }

        return new ShardScoreSummary(scoredCount, failedCount) { Stages = stages };
    }

    /// <summary>A stored embedding scored against a context that combines layer states: it is h alone, without the item's states.</summary>
    private static FailedItem NoLayerStates(string id) =>
        new(id, "no_layer_states", "the scoring context combines layer states, which a stored embedding does not carry");

    /// <summary>The enumerator's current item, then the rest of it (after a peek).</summary>
    private static async IAsyncEnumerable<SourceImage> FromCurrent(IAsyncEnumerator<SourceImage> images)
    {
        do
        {
            yield return images.Current;
        }
        while (await images.MoveNextAsync().ConfigureAwait(false));
    }

    private static void Collect(
        SisomScoreBatch batch,
        FeatureMatrix features,
        ReadOnlySpan<string> ids,
        LoadedContext context,
        bool keepEmbeddings,
        List<ScoredItem> output,
        (string? Source, DateTimeOffset? CapturedAt)[]? origins = null)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            SisomItemScore score = batch[i];
            output.Add(new ScoredItem(
                ids[i],
                score,
                score.NearestReference >= 0 ? context.ReferenceIds[score.NearestReference] : null,
                keepEmbeddings ? features.Row(i).ToArray() : null,
                origins?[i].Source,
                origins?[i].CapturedAt));
        }
    }
}
