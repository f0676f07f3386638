using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SisomCluster.Contracts;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;
using SisomCluster.Server.Models;
using SisomCluster.Server.Pools;
using SisomCluster.Server.Scoring;

namespace SisomCluster.Server.Aggregator;

/// <summary>
/// The reference phase (ARCHITECTURE.md §3 step 0): reads the pool's labeled items, embeds them with the
/// run's model (embedding pools already carry features), builds and stores the scoring context —
/// or reuses a stored one with the same model and reference-set version — then announces it.
/// </summary>
/// <remarks>
/// The labeled items are embedded here, in the aggregator, rather than by a worker shard: they are
/// 10²–10⁵ items, small beside the pool. At larger label counts this becomes shard 0 for the workers.
/// </remarks>
public sealed partial class PrepareContextConsumer(SisomDbContext db, ModelCache models, PoolAccess pools, IOptions<AggregatorOptions> options, TimeProvider time, ILogger<PrepareContextConsumer> logger) : IConsumer<PrepareContext>
{
    public async Task Consume(ConsumeContext<PrepareContext> context)
    {
        CancellationToken token = context.CancellationToken;
        Run run = await db.Runs.SingleAsync(r => r.Id == context.Message.RunId, token).ConfigureAwait(false);
        if (run.ContextId is { } existing)
        {
            await context.Publish(new ContextReady { RunId = run.Id, ContextId = existing }, token).ConfigureAwait(false);
            return;
        }

        Data.Pools.Pool pool = await db.Pools.AsNoTracking().SingleAsync(p => p.Id == run.PoolId, token).ConfigureAwait(false);
        // A round's run is pinned to the label imports it was created with (RunRequests.PinnedLabelImports); others take the labels now.
        IQueryable<Data.Labels.ItemLabel> labelRows = db.Labels.AsNoTracking().Where(l => l.PoolId == pool.Id);
        if (RunRequests.PinnedLabelImports(run) is { } pinned)
        {
            labelRows = labelRows.Where(l => pinned.Contains(l.ImportId));
        }

        Dictionary<string, int> labels = await labelRows.ToDictionaryAsync(l => l.ItemId, l => l.Label, StringComparer.Ordinal, token).ConfigureAwait(false);
        IPoolSource source;
        ModelPackage? package;
        try
        {
            source = pools.Open(pool.SourceKind, pool.SourceUri);

            // The model's files and version only: its ONNX Runtime session is built later, and only when some labeled item
            // has no stored features for this model version (BuildAsync).
            package = source.HoldsImages ? models.Package(run.ModelName) : null;
        }
        catch (Exception e) when (e is PoolOutsideRootsException or ArgumentException)
        {
            // The pool is now outside Pools__AllowedRoots, or the run's model left the registry: asking again cannot help,
            // so the run fails with the reason (no server path) instead of its request being parked and re-sent forever.
            await FailAsync(context, run, e is PoolOutsideRootsException ? $"pool: {e.Message}" : Reason(e), token).ConfigureAwait(false);
            return;
        }

        string modelVersion = package?.Version ?? "embeddings:" + pool.SourceUri;
        string referenceVersion = ReferenceVersion.Of(labels.Select(l => (l.Key, l.Value)));

        // knn_k: a context stored before KNN (k 0) or with another k is not reused. A run without KNN reuses only a context built
        // without it (knn = false: no bank, no KNN threshold), and a run with KNN never reuses one of those: the context is
        // what the workers, thresholds, histograms and selection gates read, so the two kinds are kept apart.
        int knnK = options.Value.KnnK;
        IQueryable<Data.Scoring.ScoringContext> same = db.ScoringContexts.AsNoTracking()
            .Where(c => c.PoolId == pool.Id && c.ModelVersion == modelVersion && c.ReferenceVersion == referenceVersion && c.Quantile == run.Quantile);
        Guid? reusable = await (run.Knn ? same.Where(c => c.Knn && c.KnnK == knnK) : same.Where(c => !c.Knn))
            .OrderByDescending(c => c.CreatedAt)
            .Select(c => (Guid?)c.Id)
            .FirstOrDefaultAsync(token).ConfigureAwait(false);
        Guid contextId;
        try
        {
            contextId = reusable ?? await BuildAsync(source, package, labels, run, pool.Id, modelVersion, token).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            // No usable reference set (no labels, one class, ...): the run cannot be scored; say why instead of waiting forever.
            await FailAsync(context, run, e.Message, token).ConfigureAwait(false);
            return;
        }

        // Only a run still pending starts: one cancelled while its context was built stays cancelled, and its shards unpublished.
        DateTimeOffset started = time.GetUtcNow();
        int updated = await db.Runs.Where(r => r.Id == run.Id && r.State == RunState.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.ContextId, contextId).SetProperty(r => r.ModelVersion, modelVersion).SetProperty(r => r.State, RunState.Running).SetProperty(r => r.StartedAt, started), token)
            .ConfigureAwait(false);
        if (updated == 0)
        {
            return;
        }

        await context.Publish(new ContextReady { RunId = run.Id, ContextId = contextId }, token).ConfigureAwait(false);
    }

    private async Task FailAsync(ConsumeContext context, Run run, string reason, CancellationToken token)
    {
        LogContextFailed(run.Id, reason);
        run.State = RunState.Failed;
        run.Error = reason;
        run.CompletedAt = time.GetUtcNow();
        await db.SaveChangesAsync(token).ConfigureAwait(false);
        await context.Publish(new RunCompleted { RunId = run.Id, State = "failed", Scored = 0, Failed = 0, FailedShards = 0, Selected = 0 }, token).ConfigureAwait(false);
    }

    /// <summary>An argument exception's message without its " (Parameter 'x')" tail.</summary>
    private static string Reason(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : e.Message;

    private async Task<Guid> BuildAsync(IPoolSource source, ModelPackage? package, Dictionary<string, int> labels, Run run, Guid poolId, string modelVersion, CancellationToken token)
    {
        var store = new ContextStore(db);
        var labeled = new List<ContextBuilder.LabeledFeatures>();
        var images = new List<SourceImage>();

        // The newest context of this pool and model: its stored features spare embedding the labeled items it already had
        // (an item's features are a function of the model version and the item), and its margins and leave-one-out
        // neighbours are updated rather than recomputed when the head and layers are the same (ContextBuilder).
        PreviousReference? previous = await store.LoadPreviousAsync(poolId, modelVersion, token).ConfigureAwait(false);
        bool layered = package is not null && package.Manifest.Outputs.LayerStates.Count > 0;
        var pending = new HashSet<string>(labels.Keys, StringComparer.Ordinal);

        // The run's own shard descriptors, listed once at launch.
        var descriptors = await db.Shards.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.ShardId).Select(s => new { s.ShardId, s.Descriptor }).ToListAsync(token).ConfigureAwait(false);

        // Only items this run's listing still holds are reused (a fresh build reads only those): a labeled item that left the
        // pool must leave the reference set too. A descriptor that does not list its ids makes the listing unknown: no reuse.
        HashSet<string>? listedIds = new(StringComparer.Ordinal);
        foreach (var shard in descriptors)
        {
            IReadOnlyList<string>? ids;
            try
            {
                ids = PoolSources.ListedItemIds(shard.Descriptor);
            }
            catch (InvalidDataException)
            {
                ids = null;
            }

            if (ids is null)
            {
                listedIds = null;
                break;
            }

            listedIds.UnionWith(ids);
        }

        if (package is not null && !layered && previous is not null && listedIds is not null)
        {
            foreach ((string id, int label) in labels)
            {
                if (listedIds.Contains(id) && previous.IndexOf(id) is int p and >= 0)
                {
                    labeled.Add(new(id, label, previous.Features.Row(p).ToArray()));
                    pending.Remove(id);
                }
            }
        }

        int reused = labeled.Count;
        if (pending.Count > 0)
        {
            // A shard that cannot be read only loses its labeled items.
            foreach (var shard in descriptors)
            {
                try
                {
                    // The source tells a shard's ids without its bytes where it can (listed descriptors, tar headers, an
                    // embeddings pool's ids file): a shard with no labeled item is not read.
                    if (await source.ItemIdsAsync(shard.Descriptor, token).ConfigureAwait(false) is { } listed && !listed.Any(pending.Contains))
                    {
                        continue;
                    }

                    // Only the labeled items' bytes are kept (reference sets are small); the shard itself streams past.
                    await foreach (PoolItem item in source.ReadAsync(shard.Descriptor, token).Where(i => pending.Contains(i.Id) && i.ErrorCode is null).ConfigureAwait(false))
                    {
                        if (item.Embedding is { } embedding)
                        {
                            labeled.Add(new(item.Id, labels[item.Id], embedding));
                        }
                        else
                        {
                            images.Add(new SourceImage(item.Id, item.Bytes));
                        }
                    }
                }
                catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
                {
                    LogShardUnreadable(run.Id, shard.ShardId, e.Message);
                }
            }
        }

        // The session is built only for images to embed, or for a multi-layer model (its layers are read from the session).
        FeatureExtractor? model = package is not null && (images.Count > 0 || layered) ? models.Model(run.ModelName) : null;
        if (model is not null && images.Count > 0)
        {
            await new EmbeddingPipeline(model).RunAsync(
                images,
                (batch, _) =>
                {
                    for (int i = 0; i < batch.Count; i++)
                    {
                        float[]? states = batch.LayerStateWidth == 0 ? null : new float[batch.LayerStateWidth];
                        batch.CopyLayerStateRow(i, states);
                        labeled.Add(new(batch.Ids[i], labels[batch.Ids[i]], batch.FeatureRow(i).ToArray(), states));
                    }

                    return ValueTask.CompletedTask;
                },
                token).ConfigureAwait(false);
        }

        int classes = Math.Max(2, labels.Count == 0 ? 0 : labels.Values.Max() + 1);
        LinearHead? head = package?.Manifest.Outputs.Logits is null ? null : ModelPackage.ReadFinalLinearLayer(package.ModelPath);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Without KNN (runs.knn false) neither the bank nor its O(|T|²) leave-one-out threshold is computed; the features are stored all the same.
        var scoringOptions = new ScoringContextOptions { Quantile = run.Quantile, KnnK = options.Value.KnnK, ComputeKnn = run.Knn };
        ContextBuilder.Built built = ContextBuilder.Build(labeled, head?.ClassCount ?? classes, head, scoringOptions, model?.StateLayers, previous);
        LogContextBuilt(run.Id, labeled.Count, images.Count, reused, built.Kept, run.Knn, clock.Elapsed.TotalSeconds);
        clock.Restart();
        Guid stored = await store.SaveAsync(built.Context, poolId, modelVersion, built.ReferenceIds, run.Knn ? null : built.Features, token).ConfigureAwait(false);
        LogContextStored(run.Id, stored, labeled.Count, clock.Elapsed.TotalSeconds);
        return stored;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: scoring context of {Labeled} labeled items built ({Embedded} embedded, {Reused} features reused, {Kept} margins kept from the previous version, KNN {Knn}) in {Seconds:F2} s")]
    private partial void LogContextBuilt(Guid runId, int labeled, int embedded, int reused, int kept, bool knn, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: scoring context {ContextId} ({Labeled} reference items) stored in {Seconds:F2} s")]
    private partial void LogContextStored(Guid runId, Guid contextId, int labeled, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: shard {ShardId} is unreadable while collecting labeled items: {Reason}")]
    private partial void LogShardUnreadable(Guid runId, int shardId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: no scoring context: {Reason}")]
    private partial void LogContextFailed(Guid runId, string reason);
}
