using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using SisomCluster.Contracts;
using SisomCluster.Core.Scoring;
using SisomCluster.Data;
using SisomCluster.Data.Aggregates;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Models;
using SisomCluster.Server.Pools;
using SisomCluster.Server.Scoring;
using SisomCluster.Server.Telemetry;

namespace SisomCluster.Server.Worker;

/// <summary>
/// Scores one shard: lease it, keep the lease alive (<see cref="LeaseHeartbeat"/>), read → decode → infer → SISOM,
/// streaming the rows into one transaction that commits them and the shard state together, then publish
/// <see cref="ShardScored"/>. Idempotent: a redelivered or stale message finds the shard leased, done or at another
/// attempt and is acknowledged without work. When the heartbeat loses the lease (or cannot renew it in time) the work is
/// cancelled at once and nothing is committed. On any other exception (or when the process stops) the lease is
/// abandoned so the shard's next attempt starts at once.
/// </summary>
public sealed partial class ScoreShardConsumer(
    SisomDbContext db,
    ShardLeases leases,
    ShardResultWriter writer,
    WorkerRuntime runtime,
    ModelCache models,
    PoolAccess pools,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    SisomMetrics metrics,
    ILogger<ScoreShardConsumer> logger) : IConsumer<ScoreShard>
{
    public async Task Consume(ConsumeContext<ScoreShard> context)
    {
        ScoreShard message = context.Message;
        if (context.SentTime is { } sent)
        {
            metrics.QueueLag(time.GetUtcNow() - new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)));
        }

        TimeSpan leaseFor = TimeSpan.FromSeconds(options.Value.LeaseSeconds);
        ShardLease? lease = await leases.LeaseAsync(message.RunId, message.ShardId, message.Attempt, runtime.WorkerId, leaseFor, context.CancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            LogDropped(message.RunId, message.ShardId, message.Attempt);
            return;
        }

        long started = time.GetTimestamp();

        // A child of MassTransit's consume span when tracing is on; the stage spans hang under it (see RecordStages).
        using Activity? span = SisomTelemetry.Worker.StartActivity(SisomTelemetry.ShardSpanName, ActivityKind.Internal);
        span?.SetTag(SisomTelemetry.RunTag, message.RunId.ToString())
            .SetTag(SisomTelemetry.ShardTag, message.ShardId)
            .SetTag(SisomTelemetry.AttemptTag, message.Attempt);
        using var work = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        using var beating = CancellationTokenSource.CreateLinkedTokenSource(work.Token);
        var heartbeat = new LeaseHeartbeat(leases, time, logger, lease, leaseFor);
        Task beat = heartbeat.RunAsync(work, beating.Token);
        try
        {
            Run run = await WorkerQueries.RunAsync(db, message.RunId, work.Token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Run {message.RunId} does not exist.");
            Data.Pools.Pool pool = await WorkerQueries.PoolAsync(db, run.PoolId, work.Token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Pool {run.PoolId} of run {run.Id} does not exist.");
            LoadedContext scoring = await runtime.ContextAsync(run.ContextId ?? throw new InvalidOperationException($"Run {run.Id} has no scoring context."), id => LoadContextAsync(db, id)).ConfigureAwait(false);
            // Confined like the listing (Pools__AllowedRoots, real paths): a pool moved outside the roots is not read here either.
            IPoolSource source = pools.Open(pool.SourceKind, pool.SourceUri);
            // The model is loaded when the first item needs it: a shard whose items all carry a stored embedding builds no session.
            var pipeline = new PipelineOptions { BatchSize = options.Value.BatchSize, DecodeThreads = options.Value.DecodeThreads };
            ShardScorer scorer = source.HoldsImages ? ShardScorer.WithModelOnDemand(() => models.Model(run.ModelName), pipeline) : new ShardScorer(null, pipeline);

            // A run re-scoring an earlier run's stored embeddings (README "Backbone passes"): a shard that run covers whole is
            // not read at all; otherwise the items it holds an embedding for are swapped for it before decoding (their bytes
            // were read with the shard's stream) and only the rest pass through the backbone.
            long reuseStart = Stopwatch.GetTimestamp();
            string? reuseRefused = null;
            StoredEmbeddings? stored = source.HoldsImages ? await StoredEmbeddings.ForAsync(db, run, r => reuseRefused = r, work.Token).ConfigureAwait(false) : null;
            if (stored is not null && scoring.Scoring.Layers.Count > 0)
            {
                // A stored embedding is h alone; this context also needs each item's layer states (SISOM.md §3.2).
                (stored, reuseRefused) = (null, "the scoring context combines layer states, which stored embeddings do not carry");
            }

            if (reuseRefused is not null)
            {
                LogReuseRefused(message.RunId, message.ShardId, reuseRefused);
            }

            IReadOnlyList<PoolItem>? covered = stored is null ? null : await CoveredAsync(source, lease.Descriptor, stored, work.Token).ConfigureAwait(false);
            long reuseEnd = Stopwatch.GetTimestamp();
            IAsyncEnumerable<PoolItem> items = covered is not null
                ? covered.ToAsyncEnumerable()
                : source.ReadAsync(lease.Descriptor, work.Token);
            if (stored is not null && covered is null)
            {
                items = stored.ReuseAsync(items, i => i.Id, (i, embedding) => new PoolItem { Id = i.Id, Embedding = embedding, Source = i.Source, CapturedAt = i.CapturedAt }, cancellationToken: work.Token);
            }

            // An incremental run leaves out what an earlier completed run scored for the same model and labels: those items
            // are read (a tar streams whole) but neither decoded nor scored, and get no row of this run.
            int skipped = 0;
            bool incremental = false;
            if (await EarlierScores.ForAsync(db, run, work.Token).ConfigureAwait(false) is { Runs.Count: > 0 } earlier)
            {
                items = earlier.SkipScoredAsync(items, i => i.Id, n => skipped += n, work.Token);
                incremental = true;
            }

            // A stored-embeddings shard that nothing filters is read a block of rows at a time, straight into the scorer's
            // matrices: no array per item (10⁶ rows: 2 GB of them, and their collection; docs/results/bench-rescore-noknn.md).
            IAsyncEnumerable<EmbeddingBlock>? blocks = source is EmbeddingsPoolSource npy && stored is null && !incremental
                ? npy.ReadBlocksAsync(lease.Descriptor, ShardScorer.EmbeddingBatchRows, work.Token)
                : null;

            // On an image pool only a reused item carries an embedding into the scorer: the count the run's status shows.
            int reused = 0;
            if (stored is not null)
            {
                items = items.Select(i =>
                {
                    reused += i.Embedding is null ? 0 : 1;
                    return i;
                });
            }

            // One transaction for the shard: its rows stream into it as they are scored (a chunk at a time, never the
            // whole shard in memory) and are applied only by CompleteAsync, which is fenced by the attempt.
            // The commit also writes the shard's partial aggregates (candidates, drift counts, histogram bins) in its transaction.
            DriftLookup drift = await runtime.DriftLookupAsync(run.Id, () => ShardAggregation.DriftForAsync(db, pool, work.Token)).ConfigureAwait(false);
            int shards = await runtime.ShardCountAsync(run.Id, () => WorkerQueries.ShardCountAsync(db, run.Id, work.Token)).ConfigureAwait(false);
            ShardCommit commit = await writer.BeginAsync(message.RunId, message.ShardId, message.Attempt, ShardAggregation.Spec(run, scoring, drift, shards), work.Token).ConfigureAwait(false);
            await using (commit.ConfigureAwait(false))
            {
                var copying = new CommitTiming();
                int flaggedOod = 0;
                int poolItems = 0;
                async ValueTask SinkAsync(ShardScoreBatch batch, CancellationToken token)
                {
                    long copyStart = Stopwatch.GetTimestamp();
                    DateTimeOffset at = time.GetUtcNow();
                    await commit.AddScoresAsync(batch.Scored.Select(s => ToRow(s, scoring.ContextId, at)), token).ConfigureAwait(false);

                    // By the run's OOD score, reference items left out: the count the finaliser's OOD rate uses.
                    flaggedOod += batch.Scored.Count(s => !s.Score.IsReference && OodScores.Flagged(s.Score, run.OodScore));
                    poolItems += batch.Scored.Count(s => !s.Score.IsReference);
                    await commit.AddErrorsAsync(batch.Failed.Select(f => new ItemErrorRow(f.Id, f.Reason, f.Detail, at)), token).ConfigureAwait(false);
                    copying.Add(copyStart, Stopwatch.GetTimestamp());
                }

                ShardScoreSummary scores = blocks is not null
                    ? await scorer.ScoreBlocksAsync(blocks, scoring, run.StoreEmbeddings, SinkAsync, work.Token).ConfigureAwait(false)
                    : await scorer.ScoreAsync(items, scoring, run.StoreEmbeddings, SinkAsync, work.Token).ConfigureAwait(false);

                // Stop renewing before the row lock: a heartbeat would only queue behind the commit. Commit only while the
                // lease is known to be ours; past that point the attempt fence in CompleteAsync settles any race.
                await beating.CancelAsync().ConfigureAwait(false);
                await beat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                work.Token.ThrowIfCancellationRequested();
                if (!heartbeat.Holds)
                {
                    await work.CancelAsync().ConfigureAwait(false);
                    work.Token.ThrowIfCancellationRequested();
                }

                long completeStart = Stopwatch.GetTimestamp();
                ShardCommitOutcome outcome = await commit.CompleteAsync(context.CancellationToken).ConfigureAwait(false);
                copying.Add(completeStart, Stopwatch.GetTimestamp());
                copying.AddTo(scores.Stages, "commit");
                if (stored is not null)
                {
                    scores.Stages.Add("reuse", reuseStart, reuseEnd);
                }

                span?.SetTag(SisomTelemetry.ItemsTag, scores.Scored + scores.Failed).SetTag(SisomTelemetry.ItemsFailedTag, scores.Failed);
                RecordStages(scores.Stages);
                metrics.ItemsCommitted(message.RunId, outcome.ScoresInserted, outcome.ErrorsInserted);
                LogCommitted(message.RunId, message.ShardId, message.Attempt, outcome.Status, outcome.ScoresInserted, outcome.ErrorsInserted);
                if (skipped > 0)
                {
                    LogSkipped(message.RunId, message.ShardId, skipped);
                }
                if (stored is not null)
                {
                    LogReused(message.RunId, message.ShardId, reused, scores.Scored - reused, stored.SourceRunId, covered is not null);
                }

                if (outcome.Status == ShardCommitStatus.Committed)
                {
                    if (reused > 0)
                    {
                        // After the commit, fenced by the attempt like it: a count for the run's status, not part of the results.
                        await db.Shards.Where(s => s.RunId == message.RunId && s.ShardId == message.ShardId && s.Attempt == message.Attempt)
                            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Reused, reused), context.CancellationToken).ConfigureAwait(false);
                    }

                    metrics.OodItems(message.RunId, poolItems, flaggedOod, run.Quantile);
                    await context.Publish(
                        new ShardScored
                        {
                            RunId = message.RunId,
                            ShardId = message.ShardId,
                            Attempt = message.Attempt,
                            Scored = outcome.ScoresInserted,
                            Failed = outcome.ErrorsInserted,
                            FlaggedOod = flaggedOod,
                            WorkerId = runtime.WorkerId,
                            Seconds = time.GetElapsedTime(started).TotalSeconds,
                        },
                        context.CancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception) when (work.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // The heartbeat cancelled the work: whatever was thrown (a cancelled read, query or COPY) comes from that. The
            // transaction rolled back with the commit's disposal, so nothing of this attempt was written.
            LeaseLoss loss = heartbeat.Lost ?? LeaseLoss.Expired;
            span?.SetStatus(ActivityStatusCode.Error, $"lease {loss}");
            LogStopped(message.RunId, message.ShardId, message.Attempt, loss);
            if (loss != LeaseLoss.Taken)
            {
                // Still ours on paper until it runs out: hand it back so the next attempt need not wait (best effort; the
                // database may be what failed).
                await TryAbandonAsync(message, $"lease not renewed: {loss}").ConfigureAwait(false);
            }

            return;
        }
        catch (Exception e)
        {
            // Give the shard back at once (the coordinator re-issues it as the next attempt) rather than letting the lease
            // run out; the exception still fails the message, so MassTransit records the fault. A shard already committed
            // is not leased any more and is left alone.
            await work.CancelAsync().ConfigureAwait(false);
            await beat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            string reason = $"{e.GetType().Name}: {e.Message}";
            LogAbandoned(e, message.RunId, message.ShardId, message.Attempt);
            await leases.AbandonAsync(message.RunId, message.ShardId, message.Attempt, runtime.WorkerId, reason.Length > 2000 ? reason[..2000] : reason, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await work.CancelAsync().ConfigureAwait(false);
            await beat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// The shard's items as stored embeddings when the source run holds one for every item (ids told without reading the
    /// items: <see cref="IPoolSource.ItemIdsAsync"/>); null when some item lacks one or the source cannot tell its ids.
    /// Stops at the first chunk with a gap, so a shard new to the pool costs one query.
    /// </summary>
    private static async Task<IReadOnlyList<PoolItem>?> CoveredAsync(IPoolSource source, string descriptor, StoredEmbeddings stored, CancellationToken cancellationToken)
    {
        if (await source.ItemIdsAsync(descriptor, cancellationToken).ConfigureAwait(false) is not { Count: > 0 } ids)
        {
            return null;
        }

        var items = new List<PoolItem>(ids.Count);
        foreach (string[] chunk in ids.Chunk(StoredEmbeddings.ChunkSize))
        {
            Dictionary<string, float[]> found = await stored.LookupAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (found.Count < chunk.Length)
            {
                return null;
            }

            items.AddRange(chunk.Select(id => new PoolItem { Id = id, Embedding = found[id] }));
        }

        return items;
    }

    private async Task TryAbandonAsync(ScoreShard message, string reason)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);
            await leases.AbandonAsync(message.RunId, message.ShardId, message.Attempt, runtime.WorkerId, reason, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            LogAbandonFailed(e, message.RunId, message.ShardId, message.Attempt);
        }
    }

    /// <summary>
    /// One histogram sample and one child span per stage. The stages of a shard overlap (batches flow through read,
    /// decode, infer and score concurrently), so each span covers the stage's wall window — its first batch's start to
    /// its last batch's end — and carries the busy time and batch count as attributes; per-batch spans would be
    /// thousands per shard at production shard sizes.
    /// </summary>
    private void RecordStages(StageTimings stages)
    {
        long nowTimestamp = Stopwatch.GetTimestamp();
        DateTimeOffset now = time.GetUtcNow();
        DateTimeOffset At(long timestamp) => now - Stopwatch.GetElapsedTime(timestamp, nowTimestamp);
        foreach (string stage in stages.Names)
        {
            TimeSpan busy = stages.Busy(stage);
            metrics.StageDuration(stage, busy);
            Inference.Extraction.StageWindow window = stages.Window(stage);
            using Activity? child = SisomTelemetry.Worker.StartActivity(stage, ActivityKind.Internal, parentContext: default, startTime: At(window.StartTimestamp));
            child?.SetTag(SisomTelemetry.BusySecondsTag, busy.TotalSeconds).SetTag(SisomTelemetry.BatchesTag, stages.Count(stage));
            child?.SetEndTime(At(window.EndTimestamp).UtcDateTime);
        }
    }

    private static ItemScoreRow ToRow(ScoredItem s, Guid contextId, DateTimeOffset at) => new()
    {
        ItemId = s.Id,
        ContextId = contextId,
        Score = s.Score,
        NearestReference = s.NearestReference,
        ScoredAt = at,
        Embedding = s.Embedding,
        Source = s.Source,
        CapturedAt = s.CapturedAt,
    };

    /// <summary>The run's scoring context from the database, once per context and process (<see cref="WorkerRuntime.ContextAsync"/>).</summary>
    private async Task<LoadedContext> LoadContextAsync(SisomDbContext db, Guid contextId)
    {
        long started = time.GetTimestamp();
        LoadedContext loaded = await new ContextStore(db).LoadAsync(contextId, CancellationToken.None).ConfigureAwait(false);
        double seconds = time.GetElapsedTime(started).TotalSeconds;
        LogContextLoaded(contextId, loaded.Scoring.Reference.Count, seconds);
        return loaded;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scoring context {ContextId} ({References} reference items) loaded in {Seconds:F2} s")]
    private partial void LogContextLoaded(Guid contextId, int references, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped ScoreShard {RunId}/{ShardId} attempt {Attempt}: the shard is done, failed or at another attempt")]
    private partial void LogDropped(Guid runId, int shardId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {RunId}/{ShardId} attempt {Attempt}: {Status}, {Scored} scores, {Errors} errors")]
    private partial void LogCommitted(Guid runId, int shardId, int attempt, ShardCommitStatus status, int scored, int errors);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {RunId}/{ShardId}: {Skipped} items left out, scored by an earlier run for the same model and labels (incremental run)")]
    private partial void LogSkipped(Guid runId, int shardId, int skipped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {RunId}/{ShardId}: {Reused} items re-scored from run {SourceRunId}'s stored embeddings, {Embedded} read and embedded (shard left unread: {Unread})")]
    private partial void LogReused(Guid runId, int shardId, int reused, int embedded, Guid sourceRunId, bool unread);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {RunId}/{ShardId}: stored embeddings not reused, every item is embedded: {Reason}")]
    private partial void LogReuseRefused(Guid runId, int shardId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up shard {RunId}/{ShardId} attempt {Attempt}")]
    private partial void LogAbandoned(Exception exception, Guid runId, int shardId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped shard {RunId}/{ShardId} attempt {Attempt} without committing: lease {Loss}")]
    private partial void LogStopped(Guid runId, int shardId, int attempt, LeaseLoss loss);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not hand back the lease on shard {RunId}/{ShardId} attempt {Attempt}; it runs out by itself")]
    private partial void LogAbandonFailed(Exception exception, Guid runId, int shardId, int attempt);
}
