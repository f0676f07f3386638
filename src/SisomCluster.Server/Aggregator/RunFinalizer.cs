using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using SisomCluster.Contracts;
using SisomCluster.Core;
using SisomCluster.Core.Evaluation;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.Selection;
using SisomCluster.Core.States;
using SisomCluster.Data;
using SisomCluster.Data.Aggregates;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Server.Scoring;
using SisomCluster.Server.Telemetry;

namespace SisomCluster.Server.Aggregator;

/// <summary>
/// Finalises a run once the <c>shards</c> table says every shard is done or failed (never by counting
/// messages): global selection, thresholds, drift points, then <see cref="RunCompleted"/>. The run's OOD score
/// (<see cref="Run.OodScore"/>: sisom, sisome, knn or energy) chooses the flag that the selection's OOD exclusion, the drift
/// counts and the OOD rate use; items that are labeled reference items (<c>is_reference</c>) are left out of drift. The
/// running → finalizing → completed transitions and every row written happen in one transaction, so duplicate
/// events finalise once and a crash leaves the run running for the next try.
/// </summary>
public sealed partial class RunFinalizer(SisomDbContext db, NpgsqlDataSource dataSource, IOptions<AggregatorOptions> options, TimeProvider time, SisomMetrics metrics, ILogger<RunFinalizer> logger)
{
    public async Task TryFinalizeAsync(Guid runId, IPublishEndpoint bus, CancellationToken token)
    {
        // Nearly every event arrives while shards are still out: one index probe says so, instead of summing all the run's
        // shards per event (O(shards) an event, O(shards²) a run: 29 ms an event at 244 141 shards = 10⁹ items, 0.2 ms
        // for the probe).
        if (await db.Shards.AnyAsync(s => s.RunId == runId && (s.State == ShardState.Pending || s.State == ShardState.Leased), token).ConfigureAwait(false))
        {
            return;
        }

        RunProgress progress = await RunProgress.LoadAsync(db, runId, token).ConfigureAwait(false);
        if (!progress.IsFinished)
        {
            return;
        }

        // One transaction: the claim locks the run row (a second finaliser waits, then finds it claimed), and a crash
        // half-way rolls back to running, so the aggregator's sweep finalises it again from scratch.
        await using var transaction = await db.Database.BeginTransactionAsync(token).ConfigureAwait(false);
        int claimed = await db.Runs.Where(r => r.Id == runId && r.State == RunState.Running)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.State, RunState.Finalizing), token).ConfigureAwait(false);
        if (claimed == 0)
        {
            return;
        }

        Run run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId, token).ConfigureAwait(false);
        Data.Scoring.ScoringContext context = await db.ScoringContexts.AsNoTracking().SingleAsync(c => c.Id == run.ContextId, token).ConfigureAwait(false);
        DateTimeOffset now = time.GetUtcNow();
        int referenceCount = await db.ReferenceItems.CountAsync(r => r.ContextId == context.Id, token).ConfigureAwait(false);

        AggregateCoverage coverage = await RunAggregates.CoverageAsync(dataSource, runId, token).ConfigureAwait(false);
        bool merge = !options.Value.FullScan && coverage.Complete;
        IReadOnlyList<SelectedItem> selected = await SelectAsync(run, context.Id, merge, token).ConfigureAwait(false);
        db.Selections.AddRange(selected.Select(s => new Selection { RunId = runId, Rank = s.Rank, ItemId = s.Id, Score = s.Score, OriginalScore = s.OriginalScore, Predicted = s.Predicted, Reason = s.Reason.ToString().ToLowerInvariant(), CreatedAt = now }));
        db.Thresholds.AddRange(ContextThresholds.Of(context, runId, referenceCount, now));

        List<DriftPoint> drift = await DriftAsync(run, merge, token).ConfigureAwait(false);
        db.DriftPoints.AddRange(drift);
        await db.SaveChangesAsync(token).ConfigureAwait(false);

        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, RunState.Completed).SetProperty(r => r.CompletedAt, now), token).ConfigureAwait(false);
        await transaction.CommitAsync(token).ConfigureAwait(false);

        // The per-source buckets partition the run's scored items, so their sums are the run's totals.
        long scored = drift.Where(p => p.BucketKind == DriftBucketKind.Source).Sum(p => p.Scored);
        if (scored > 0)
        {
            metrics.RunOodRate(runId, (double)drift.Where(p => p.BucketKind == DriftBucketKind.Source).Sum(p => p.Flagged) / scored);
        }

        RunProgress final = await RunProgress.LoadAsync(db, runId, token).ConfigureAwait(false);
        await bus.Publish(
            new RunCompleted { RunId = runId, State = "completed", Scored = final.ItemsScored, Failed = final.ItemsFailed + final.ItemsInFailedShards, FailedShards = final.FailedShards, Selected = selected.Count },
            token).ConfigureAwait(false);
    }

    /// <summary>
    /// SQL narrows the pool to the top factor·B unlabeled (and, by default, in-distribution) candidates; Core orders and takes B
    /// (SISOM.md §8.3), with class-balanced quotas and SISOM-native diversity when configured. Diversity needs z(x): it is
    /// recomputed from the stored embeddings h of the candidates only (so the run must store embeddings).
    /// </summary>
    internal async Task<IReadOnlyList<SelectedItem>> SelectAsync(Run run, Guid contextId, bool fromAggregates, CancellationToken token)
    {
        AggregatorOptions o = options.Value;
        bool guarded = o.ExcludeOod && o.Selection == SelectionPolicy.Guarded;
        LoadedContext? context = o.DiversityFactor > 0 || o.BalancedQuotas || guarded
            ? await new ContextStore(db).LoadAsync(contextId, token).ConfigureAwait(false)
            : null;
        bool diverse = o.DiversityFactor > 0 && run.StoreEmbeddings && context!.Scoring.Layers.Count == 0;
        if (o.DiversityFactor > 0 && !diverse)
        {
            LogNoDiversity(run.Id);
        }

        // The guarded default's gates (Core: SelectionGates.Guarded): SISOM at q and KNN at 0.8; KNN needs the bank, so a
        // context without one (a run with knn = false, or a context stored before KNN) gates on SISOM at 0.8 instead: two
        // gates on one score, so a candidate's gate values are keyed by distinct score.
        string gateScore = SelectionGates.DefaultScore;
        if (guarded && context!.Scoring.Knn is null)
        {
            gateScore = OodScores.Sisom;
            LogGateFallback(run.Id, gateScore);
        }

        SelectionOptions selection = SelectionOptions.For(guarded ? SelectionPolicy.Guarded : SelectionPolicy.Threshold, run.Budget, context?.Scoring, gateScore) with
        {
            ExcludeOod = o.ExcludeOod,
            ClassQuotas = o.BalancedQuotas ? SelectionOptions.BalancedQuotas(run.Budget, context!.Scoring.Head.ClassCount) : null,
            DiversityFactor = diverse ? o.DiversityFactor : null,
        };
        IReadOnlyList<OodGate> gates = o.ExcludeOod ? selection.Gates : [];

        // SQL only narrows to the top factor·B candidates past the same exclusions (flag, gates); Core selects. The shards'
        // aggregates give the same candidates in O(shards) when they were kept under this filter and provably reach factor·B.
        int limit = run.Budget * Math.Max(run.CandidateFactor, (int)Math.Ceiling(o.DiversityFactor) + 1);
        List<ShardCandidate>? merged = fromAggregates
            ? await RunAggregates.CandidatesAsync(dataSource, run.Id, run.PoolId, ShardAggregateSpec.Describe(run.OodScore, o.ExcludeOod, gates), limit, token).ConfigureAwait(false)
            : null;
        if (fromAggregates && merged is null)
        {
            LogCandidatesScanned(run.Id, limit);
        }

        var candidates = new List<SelectionCandidate>();
        var embeddings = new List<float[]>();
        if (merged is not null)
        {
            candidates.AddRange(merged.Select(c => new SelectionCandidate(c.ItemId, c.Sisom, c.Predicted, c.Flagged)
            {
                DIn = c.DIn,
                DOut = c.DOut ?? double.NaN,
                Energy = c.Energy,
                OodValues = gates.Count == 0 ? null : gates.DistinctBy(g => g.Score, StringComparer.Ordinal).ToDictionary(g => g.Score, g => CandidateValue(c, g.Score), StringComparer.Ordinal),
            }));
            if (diverse)
            {
                embeddings.AddRange(await EmbeddingsAsync(run.Id, merged, token).ConfigureAwait(false));
            }
        }
        else
        {
            await ScanCandidatesAsync(run, o, gates, limit, diverse, candidates, embeddings, token).ConfigureAwait(false);
        }

        if (diverse && candidates.Count > 0)
        {
            // z(x) = σ(α·h⊙g) for the candidates only (factor·B rows), with the context's head and α.
            ScoringContext scoring = context!.Scoring;
            int d = embeddings[0].Length;
            var features = new FeatureMatrix(embeddings.SelectMany(e => e).ToArray(), embeddings.Count, d);
            StateMatrix states = NeuronStates.Compute(scoring.Head, features, scoring.Alpha, scoring.Precision).States;
            for (int i = 0; i < candidates.Count; i++)
            {
                candidates[i] = candidates[i] with { State = states.Values.Row(i).ToArray() };
            }
        }

        foreach (OodGate g in gates)
        {
            LogGate(run.Id, g.Score, g.Threshold);
        }

        return ActiveLearningSelector.Select(candidates, selection, diverse ? context!.Scoring : null);
    }

    /// <summary>The full scan: the top <paramref name="limit"/> unlabeled candidates past the flag and gates, from every row of the run.</summary>
    private async Task ScanCandidatesAsync(Run run, AggregatorOptions o, IReadOnlyList<OodGate> gates, int limit, bool diverse, List<SelectionCandidate> candidates, List<float[]> embeddings, CancellationToken token)
    {
        string flag = FlagColumn(run);
        string gateColumns = string.Concat(gates.Select(g => $", s.{ScoreColumn(g.Score)}"));
        string gateFilter = string.Concat(gates.Select((g, i) => $" AND s.{ScoreColumn(g.Score)} <= ${6 + i}"));
        string sql = $"""
            SELECT s.item_id, s.sisom, s.predicted, s.{flag}, s.d_in, s.d_out, s.energy, CASE WHEN $5 THEN s.embedding END{gateColumns}
            FROM item_scores s
            LEFT JOIN labels l ON l.pool_id = $2 AND l.item_id = s.item_id
            WHERE s.run_id = $1 AND l.item_id IS NULL AND ($3 = false OR (s.{flag} = false{gateFilter}))
            ORDER BY s.sisom DESC, s.item_id
            LIMIT $4
            """;
        await using (NpgsqlCommand command = dataSource.CreateCommand(sql))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = run.Id });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = run.PoolId });
            command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = o.ExcludeOod });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = diverse });
            foreach (OodGate g in gates)
            {
                command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = g.Threshold });
            }

            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                candidates.Add(new SelectionCandidate(reader.GetString(0), reader.GetDouble(1), reader.GetInt32(2), reader.GetBoolean(3))
                {
                    DIn = reader.GetDouble(4),
                    DOut = reader.IsDBNull(5) ? double.NaN : reader.GetDouble(5),
                    Energy = reader.GetDouble(6),
                    OodValues = gates.Count == 0 ? null : GateValues(reader, gates),
                });
                if (diverse)
                {
                    embeddings.Add(reader.GetFieldValue<Pgvector.Vector>(7).ToArray());
                }
            }
        }
    }

    /// <summary>The stored embeddings h of the merged candidates, in their order (factor·B primary-key reads).</summary>
    private async Task<List<float[]>> EmbeddingsAsync(Guid runId, List<ShardCandidate> merged, CancellationToken token)
    {
        var byId = new Dictionary<string, float[]>(StringComparer.Ordinal);
        await using NpgsqlCommand command = dataSource.CreateCommand("SELECT item_id, embedding FROM item_scores WHERE run_id = $1 AND item_id = ANY($2)");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. merged.Select(c => c.ItemId)] });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            byId[reader.GetString(0)] = reader.GetFieldValue<Pgvector.Vector>(1).ToArray();
        }

        return [.. merged.Select(c => byId[c.ItemId])];
    }

    private static double CandidateValue(ShardCandidate c, string score) => score switch
    {
        OodScores.Sisom => c.Sisom,
        OodScores.Sisome => c.Sisome,
        OodScores.Knn => c.Knn ?? double.NaN,
        OodScores.Energy => c.Energy,
        _ => throw new InvalidOperationException($"Unknown OOD score '{score}'."),
    };

    /// <summary>
    /// OOD rate per source and per hour of capture (or scoring) time, with Wilson 95 % intervals (SISOM.md §8.2), by the
    /// run's OOD score. Labeled reference items are left out: their scores are leave-one-out ones of the ID set itself.
    /// </summary>
    internal async Task<List<DriftPoint>> DriftAsync(Run run, bool fromAggregates, CancellationToken token)
    {
        if (fromAggregates)
        {
            // The shards counted the same buckets at commit: summing them is the scan's GROUP BY, in O(shards × buckets).
            return [.. (await RunAggregates.DriftAsync(dataSource, run.Id, token).ConfigureAwait(false)).Select(c => Point(run.Id, c))];
        }

        string flag = FlagColumn(run);
        string sql = $"""
            SELECT 'source' AS kind, coalesce(i.source, '(none)') AS bucket, count(*), count(*) FILTER (WHERE s.{flag})
            FROM item_scores s LEFT JOIN items i ON i.pool_id = $2 AND i.item_id = s.item_id
            WHERE s.run_id = $1 AND NOT s.is_reference GROUP BY 2
            UNION ALL
            SELECT 'hour', to_char(date_trunc('hour', coalesce(i.captured_at, s.scored_at) AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"'), count(*), count(*) FILTER (WHERE s.{flag})
            FROM item_scores s LEFT JOIN items i ON i.pool_id = $2 AND i.item_id = s.item_id
            WHERE s.run_id = $1 AND NOT s.is_reference GROUP BY 2
            """;
        var points = new List<DriftPoint>();
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = run.Id });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = run.PoolId });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            long scored = reader.GetInt64(2);
            long flagged = reader.GetInt64(3);
            WilsonInterval w = WilsonInterval.Compute(flagged, scored);
            points.Add(new DriftPoint
            {
                RunId = run.Id,
                BucketKind = reader.GetString(0) == "source" ? DriftBucketKind.Source : DriftBucketKind.Hour,
                Bucket = reader.GetString(1),
                Scored = scored,
                Flagged = flagged,
                Rate = w.Rate,
                Lower = w.Lower,
                Upper = w.Upper,
            });
        }

        return points;
    }

    /// <summary>A drift point with its Wilson 95 % interval (SISOM.md §8.2).</summary>
    internal static DriftPoint Point(Guid runId, DriftCount count)
    {
        WilsonInterval w = WilsonInterval.Compute(count.Flagged, count.Scored);
        return new DriftPoint { RunId = runId, BucketKind = count.Kind, Bucket = count.Bucket, Scored = count.Scored, Flagged = count.Flagged, Rate = w.Rate, Lower = w.Lower, Upper = w.Upper };
    }

    /// <summary>The <c>item_scores</c> flag column of the run's OOD score; the name comes from the fixed list, never from input.</summary>
    private static string FlagColumn(Run run) => OodScores.IsKnown(run.OodScore)
        ? "ood_" + run.OodScore
        : throw new InvalidOperationException($"Run {run.Id} has an unknown OOD score '{run.OodScore}'.");

    /// <summary>The <c>item_scores</c> column of an OOD score; the name comes from the fixed list, never from input.</summary>
    private static string ScoreColumn(string score) => OodScores.IsKnown(score)
        ? score
        : throw new InvalidOperationException($"Unknown OOD score '{score}'.");

    /// <summary>The candidate's gate scores, read from the columns after the embedding (column 8 on); NULL reads as NaN.</summary>
    private static Dictionary<string, double> GateValues(NpgsqlDataReader reader, IReadOnlyList<OodGate> gates)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < gates.Count; i++)
        {
            values[gates[i].Score] = reader.IsDBNull(8 + i) ? double.NaN : reader.GetDouble(8 + i);
        }

        return values;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: guarded selection leaves out items with {Score} above {Threshold}")]
    private partial void LogGate(Guid runId, string score, double threshold);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: the scoring context has no KNN bank (the run skips KNN, or its context was stored before KNN); the guarded selection gates on {Score}")]
    private partial void LogGateFallback(Guid runId, string score);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: the shards' candidates were kept under another filter or do not provably hold the top {Limit}; the selection scans item_scores")]
    private partial void LogCandidatesScanned(Guid runId, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: diversity needs stored embeddings of a penultimate-only context (start the run with embeddings stored); plain top-B used")]
    private partial void LogNoDiversity(Guid runId);
}
