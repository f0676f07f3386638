using System.Runtime.InteropServices;
using Npgsql;
using NpgsqlTypes;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.Selection;
using SisomCluster.Data.Results;

namespace SisomCluster.Data.Aggregates;

/// <summary>
/// Folds a shard's rows, as the commit streams them, into its partial aggregates (<see cref="ShardAggregate"/>) and writes
/// them in the commit's transaction: the top candidates of the selection (a bounded heap, rank = SISOM descending then item
/// id), the histogram bins, and the drift counts by source and hour (<see cref="DriftBuckets"/>): grouped as the rows come
/// when they carry the items' source and capture time (<see cref="DriftLookup.Rows"/>), else counted against <c>items</c> in
/// PostgreSQL when the shard completes. Memory: the candidates, plus one id per item when <c>items</c> is read.
/// </summary>
internal sealed class ShardAggregator
{
    // Worst-ranked first: lowest SISOM, then the greatest item id.
    private static readonly Comparer<(double Sisom, string Id)> WorstFirst = Comparer<(double Sisom, string Id)>.Create(
        (a, b) => a.Sisom != b.Sisom ? a.Sisom.CompareTo(b.Sisom) : string.CompareOrdinal(b.Id, a.Id));

    private readonly ShardAggregateSpec _spec;
    private readonly PriorityQueue<ShardCandidate, (double Sisom, string Id)> _candidates = new(WorstFirst);
    private readonly Dictionary<string, Dictionary<long, long>> _bins = new(StringComparer.Ordinal);
    private readonly (string Score, double Width, Dictionary<long, long> Counts)[] _binList;
    private readonly List<string> _driftIds = [];
    private readonly List<bool> _driftFlags = [];
    private readonly List<DateTimeOffset> _driftTimes = [];
    private readonly DriftBuckets _drift = new();
    private (double Sisom, string Id)? _bestEvicted;
    private int _references;

    public ShardAggregator(ShardAggregateSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        _spec = spec;
        foreach (string score in spec.BinWidths.Keys)
        {
            _bins[score] = [];
        }

        _binList = [.. _bins.Select(b => (b.Key, spec.BinWidths[b.Key], b.Value))];
    }

    public void Add(ItemScoreRow row)
    {
        SisomItemScore s = row.Score;
        bool flagged = OodScores.Flagged(s, _spec.OodScore);
        if (s.IsReference)
        {
            // Labels are left out when the candidates merge; keep one more candidate per labeled item met so they cannot crowd the rest out.
            _references++;
        }
        else
        {
            if (_spec.Drift == DriftLookup.Rows)
            {
                _drift.Add(row.Source, row.CapturedAt, row.ScoredAt, flagged);
            }
            else
            {
                _driftIds.Add(row.ItemId);
                _driftFlags.Add(flagged);
                _driftTimes.Add(row.ScoredAt);
            }

            foreach ((string score, double width, Dictionary<long, long> bins) in _binList)
            {
                double v = Value(s, score);
                if (double.IsFinite(v))
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(bins, ScoreBins.Index(v, width), out _)++;
                }
            }
        }

        if (_spec.ExcludeOod && (flagged || AboveAGate(s)))
        {
            return;
        }

        // NaN sorts first in PostgreSQL's ORDER BY sisom DESC: rank it above everything here too.
        (double, string) key = (double.IsNaN(s.Sisom) ? double.PositiveInfinity : s.Sisom, row.ItemId);

        // A full heap whose worst ranks above this item would evict it at once: count it as evicted without building it
        // (most items of a large shard), which is what enqueueing and dequeueing it would do.
        if (_candidates.Count >= _spec.CandidateLimit + _references
            && _candidates.TryPeek(out _, out (double Sisom, string Id) worst)
            && WorstFirst.Compare(key, worst) < 0)
        {
            Evicted(key);
            return;
        }

        _candidates.Enqueue(
            new ShardCandidate
            {
                ItemId = row.ItemId,
                Sisom = s.Sisom,
                Sisome = s.Sisome,
                Knn = double.IsNaN(s.Knn) ? null : s.Knn,
                Energy = s.Energy,
                Predicted = s.Predicted,
                Flagged = flagged,
                DIn = s.DIn,
                DOut = double.IsNaN(s.DOut) ? null : s.DOut,
            },
            key);
        while (_candidates.Count > _spec.CandidateLimit + _references)
        {
            _candidates.TryDequeue(out _, out (double Sisom, string Id) evicted);
            Evicted(evicted);
        }
    }

    private void Evicted((double Sisom, string Id) evicted)
    {
        if (_bestEvicted is not { } best || WorstFirst.Compare(evicted, best) > 0)
        {
            _bestEvicted = evicted;
        }
    }

    private bool AboveAGate(in SisomItemScore s)
    {
        foreach (OodGate g in _spec.Gates)
        {
            if (!(Value(s, g.Score) <= g.Threshold))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes the aggregates in the commit's transaction (after its rows, before the shard is marked done).</summary>
    public async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid runId, int shardId, CancellationToken cancellationToken)
    {
        // Only candidates ranked strictly above the best evicted one are kept: then every item not kept ranks at or below it,
        // which is what the merge relies on (the heap's bound grew with the reference items, so an early eviction can outrank a kept one).
        List<ShardCandidate> kept = [];
        while (_candidates.TryDequeue(out ShardCandidate? c, out (double Sisom, string Id) key))
        {
            if (_bestEvicted is not { } best || WorstFirst.Compare(key, best) > 0)
            {
                kept.Add(c);
            }
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(Command(
            "INSERT INTO shard_aggregates (run_id, shard_id, candidate_filter, candidate_limit, boundary_sisom, boundary_item_id) VALUES ($1, $2, $3, $4, $5, $6)",
            runId,
            shardId,
            P(_spec.Filter),
            P(_spec.CandidateLimit + _references),
            new NpgsqlParameter<double?> { TypedValue = _bestEvicted?.Sisom, NpgsqlDbType = NpgsqlDbType.Double },
            new NpgsqlParameter<string?> { TypedValue = _bestEvicted?.Id, NpgsqlDbType = NpgsqlDbType.Text }));
        batch.BatchCommands.Add(Command(
            """
            INSERT INTO shard_candidates (run_id, shard_id, item_id, sisom, sisome, knn, energy, predicted, flagged, d_in, d_out)
            SELECT $1, $2, * FROM unnest($3::text[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::int[], $9::bool[], $10::float8[], $11::float8[])
            """,
            runId,
            shardId,
            P(kept.Select(c => c.ItemId).ToArray()),
            P(kept.Select(c => c.Sisom).ToArray()),
            P(kept.Select(c => c.Sisome).ToArray()),
            P(kept.Select(c => c.Knn).ToArray()),
            P(kept.Select(c => c.Energy).ToArray()),
            P(kept.Select(c => c.Predicted).ToArray()),
            P(kept.Select(c => c.Flagged).ToArray()),
            P(kept.Select(c => c.DIn).ToArray()),
            P(kept.Select(c => c.DOut).ToArray())));
        foreach ((string score, Dictionary<long, long> bins) in _bins)
        {
            KeyValuePair<long, long>[] sorted = [.. bins.OrderBy(b => b.Key)];
            batch.BatchCommands.Add(Command(
                "INSERT INTO shard_histograms (run_id, shard_id, score_kind, width, bins, counts) VALUES ($1, $2, $3, $4, $5, $6)",
                runId,
                shardId,
                P(score),
                P(_spec.BinWidths[score]),
                P(sorted.Select(b => b.Key).ToArray()),
                P(sorted.Select(b => b.Value).ToArray())));
        }

        if (_spec.Drift == DriftLookup.Rows)
        {
            var drift = _drift.Counts.ToList();
            batch.BatchCommands.Add(Command(
                """
                INSERT INTO shard_drift (run_id, shard_id, bucket_kind, bucket, scored, flagged)
                SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[])
                """,
                runId,
                shardId,
                P(drift.Select(d => d.Kind).ToArray()),
                P(drift.Select(d => d.Bucket).ToArray()),
                P(drift.Select(d => d.Scored).ToArray()),
                P(drift.Select(d => d.Flagged).ToArray())));
        }
        else
        {
            AddRegistryDrift(batch, runId, shardId);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The drift buckets counted in PostgreSQL against <c>items</c> (<see cref="DriftLookup.Registry"/>), one statement for the shard.</summary>
    private void AddRegistryDrift(NpgsqlBatch batch, Guid runId, int shardId)
    {
        // LATERAL with OFFSET 0 (which keeps the planner from flattening it into a join): one primary-key probe of items per
        // item of the shard. A join lets the planner hash the pool's whole items table for every shard (measured: 10⁶ items,
        // 100 shards of 10⁴, commits 4.4× slower; the flattened LATERAL alone was no better), and item_id = ANY(ids) reads
        // the table sequentially (10⁴ ids of 10⁶ items: 150–190 ms against 38–58 ms for the probes, load 44; 37–45 ms only
        // with sequential scans switched off) — so the probes stay, and pools whose rows vouch for the registry skip them.
        batch.BatchCommands.Add(Command(
            """
            WITH u AS MATERIALIZED (
                SELECT u.flagged, coalesce(i.source, '(none)') AS source, coalesce(i.captured_at, u.scored_at) AS at
                FROM unnest($3::text[], $4::bool[], $5::timestamptz[]) AS u(item_id, flagged, scored_at)
                LEFT JOIN LATERAL (SELECT x.source, x.captured_at FROM items x WHERE x.pool_id = $6 AND x.item_id = u.item_id OFFSET 0) i ON true)
            INSERT INTO shard_drift (run_id, shard_id, bucket_kind, bucket, scored, flagged)
            SELECT $1, $2, 'source', source, count(*), count(*) FILTER (WHERE flagged) FROM u GROUP BY source
            UNION ALL
            SELECT $1, $2, 'hour', to_char(date_trunc('hour', at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"'), count(*), count(*) FILTER (WHERE flagged) FROM u GROUP BY 4
            """,
            runId,
            shardId,
            P(_driftIds.ToArray()),
            P(_driftFlags.ToArray()),
            new NpgsqlParameter<DateTime[]> { TypedValue = [.. _driftTimes.Select(t => t.UtcDateTime)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
            P(_spec.PoolId)));
    }

    /// <summary>An OOD or histogram score of an item by name; NaN when the item has none (KNN without a bank).</summary>
    internal static double Value(in SisomItemScore s, string score) => score switch
    {
        OodScores.Sisom => s.Sisom,
        OodScores.Sisome => s.Sisome,
        OodScores.Knn => s.Knn,
        OodScores.Energy => s.Energy,
        _ => throw new ArgumentException($"Unknown score '{score}'.", nameof(score)),
    };

    private static NpgsqlParameter<T> P<T>(T value) => new() { TypedValue = value };

    private static NpgsqlBatchCommand Command(string sql, Guid runId, int shardId, params NpgsqlParameter[] rest)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(P(runId));
        command.Parameters.Add(P(shardId));
        foreach (NpgsqlParameter p in rest)
        {
            command.Parameters.Add(p);
        }

        return command;
    }
}
