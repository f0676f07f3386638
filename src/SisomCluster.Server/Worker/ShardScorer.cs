using System.Diagnostics;
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
    private readonly FeatureExtractor? _extractor;
    private readonly PipelineOptions _pipeline;

    /// <param name="extractor">The model; null for shards of precomputed embeddings.</param>
    public ShardScorer(FeatureExtractor? extractor, PipelineOptions? pipeline = null)
    {
        _extractor = extractor;
        _pipeline = pipeline ?? new PipelineOptions();
    }

    /// <summary>Scores items held in memory (tests, re-scoring); see the streamed overload.</summary>
    public Task<ShardScores> ScoreAsync(IEnumerable<PoolItem> items, LoadedContext context, bool keepEmbeddings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        return ScoreAsync(items.ToAsyncEnumerable(), context, keepEmbeddings, cancellationToken);
    }

    /// <summary>Scores a shard as its source streams it (<see cref="IPoolSource.ReadAsync"/>): images are pulled a batch ahead of inference.</summary>
    public async Task<ShardScores> ScoreAsync(IAsyncEnumerable<PoolItem> items, LoadedContext context, bool keepEmbeddings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(context);
        var scored = new List<ScoredItem>();
        var failed = new List<FailedItem>();
        var embedded = new List<PoolItem>();
        var stages = new StageTimings();
        var scorer = new SisomScorer(context.Scoring);
        int dimension = context.Scoring.Head.FeatureDimension;
        IReadOnlyList<StateLayer> layers = context.Scoring.Layers;

        async IAsyncEnumerable<SourceImage> Images()
        {
            await foreach (PoolItem item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (item.ErrorCode is { } code)
                {
                    failed.Add(new FailedItem(item.Id, code, item.Error ?? string.Empty));
                }
                else if (item.Embedding is not null && layers.Count > 0)
                {
                    // A stored embedding is h alone; the context's z also needs the item's layer states (SISOM.md §3.2).
                    failed.Add(new FailedItem(item.Id, "no_layer_states", "the scoring context combines layer states, which a stored embedding does not carry"));
                }
                else if (item.Embedding is not null)
                {
                    embedded.Add(item);
                }
                else
                {
                    yield return new SourceImage(item.Id, item.Bytes);
                }
            }
        }

        if (_extractor is null)
        {
            // Without a model the whole source is read here (embeddings shards): that loop is the read stage.
            long readStart = Stopwatch.GetTimestamp();
            await foreach (SourceImage image in Images().ConfigureAwait(false))
            {
                failed.Add(new FailedItem(image.Id, "no_model", "the shard has images but this worker runs without a model"));
            }

            stages.Add("read", readStart, Stopwatch.GetTimestamp());
        }
        else
        {
            if (_extractor.FeatureDimension != dimension)
            {
                throw new InvalidOperationException($"The model gives D = {_extractor.FeatureDimension}, the scoring context expects D = {dimension}.");
            }

            if (layers.Count > 0 && !LayerStates.SameLayers(_extractor.StateLayers, layers))
            {
                throw new InvalidOperationException($"The scoring context combines layers {string.Join(", ", layers.Select(l => l.Name))}; model {_extractor.Model.Manifest.Name} outputs {(_extractor.StateLayers.Count == 0 ? "none" : string.Join(", ", _extractor.StateLayers.Select(l => l.Name)))} (or with other alpha).");
            }

            PipelineStatistics statistics = await new EmbeddingPipeline(_extractor, _pipeline).RunAsync(
                Images(),
                (batch, _) =>
                {
                    failed.AddRange(batch.Failures.Select(f => new FailedItem(f.Id, f.Code, f.Detail)));
                    if (batch.Count > 0)
                    {
                        long scoreStart = Stopwatch.GetTimestamp();
                        var features = new FeatureMatrix(batch.Features.AsSpan(0, batch.Count * dimension).ToArray(), batch.Count, dimension);
                        LayerStates? states = layers.Count > 0 ? batch.ToLayerStates() : null;
                        ReadOnlySpan<string> ids = batch.Ids.AsSpan(0, batch.Count);
                        Collect(scorer.Score(features, context.MemberIndices(ids), states), features, ids, context, keepEmbeddings, scored);
                        stages.Add("score", scoreStart, Stopwatch.GetTimestamp());
                    }

                    return ValueTask.CompletedTask;
                },
                cancellationToken).ConfigureAwait(false);

            // Reading and decoding share the producer, batch after batch: one window, separate busy times.
            int batches = (statistics.Items + _pipeline.BatchSize - 1) / _pipeline.BatchSize;
            stages.Add("read", statistics.ReadDecodeWindow, statistics.ReadTime, batches);
            stages.Add("decode", statistics.ReadDecodeWindow, statistics.DecodeTime, batches);
            stages.Add("infer", statistics.InferenceWindow, statistics.InferenceTime, batches);
        }

        const int EmbeddingBatch = 4096;
        foreach (PoolItem[] chunk in embedded.Chunk(EmbeddingBatch))
        {
            var data = new float[chunk.Length * dimension];
            var ids = new string[chunk.Length];
            for (int i = 0; i < chunk.Length; i++)
            {
                if (chunk[i].Embedding!.Length != dimension)
                {
                    throw new InvalidDataException($"Item '{chunk[i].Id}' has an embedding of length {chunk[i].Embedding!.Length}, the context expects {dimension}.");
                }

                chunk[i].Embedding!.CopyTo(data, i * dimension);
                ids[i] = chunk[i].Id;
            }

            long scoreStart = Stopwatch.GetTimestamp();
            var features = new FeatureMatrix(data, chunk.Length, dimension);
            Collect(scorer.Score(features, context.MemberIndices(ids)), features, ids, context, keepEmbeddings, scored);
            stages.Add("score", scoreStart, Stopwatch.GetTimestamp());
        }

        return new ShardScores(scored, failed) { Stages = stages };
    }

    private static void Collect(SisomScoreBatch batch, FeatureMatrix features, ReadOnlySpan<string> ids, LoadedContext context, bool keepEmbeddings, List<ScoredItem> output)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            SisomItemScore score = batch[i];
            output.Add(new ScoredItem(
                ids[i],
                score,
                score.NearestReference >= 0 ? context.ReferenceIds[score.NearestReference] : null,
                keepEmbeddings ? features.Row(i).ToArray() : null));
        }
    }
}
