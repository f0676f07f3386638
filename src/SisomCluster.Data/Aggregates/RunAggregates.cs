using Npgsql;
using SisomCluster.Data.Monitoring;

namespace SisomCluster.Data.Aggregates;

/// <summary>
/// Merges a run's per-shard aggregates (<see cref="ShardAggregate"/>): O(shards) rows, whatever the run's size. The
/// finaliser's selection and drift points and the API's live drift and histograms read them; each answer equals the full
/// scan of <c>item_scores</c> over the same shards (tests hold them to it).
/// </summary>
public static class RunAggregates
{
    /// <summary>
    /// How far the aggregates cover a run: its done shards, and how many of them have aggregates. They answer for the run
    /// when the two are equal (a shard committed without aggregates — before the migration, or by a bench — means a scan).
    /// </summary>
    public static async Task<AggregateCoverage> CoverageAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using NpgsqlCommand command = dataSource.CreateCommand(
            """
            SELECT (SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done'),
                   (SELECT count(*) FROM shard_aggregates WHERE run_id = $1),
                   (SELECT count(*) FROM shards WHERE run_id = $1)
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new AggregateCoverage((int)reader.GetInt64(0), (int)reader.GetInt64(1), (int)reader.GetInt64(2));
    }

    /// <summary>Drift counts per bucket summed over the committed shards (reference items were left out at commit).</summary>
    public static async Task<List<DriftCount>> DriftAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using NpgsqlCommand command = dataSource.CreateCommand(
            "SELECT bucket_kind, bucket, sum(scored)::bigint, sum(flagged)::bigint FROM shard_drift WHERE run_id = $1 GROUP BY 1, 2 ORDER BY 1, 2");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        var counts = new List<DriftCount>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts.Add(new DriftCount(reader.GetString(0) == "source" ? DriftBucketKind.Source : DriftBucketKind.Hour, reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return counts;
    }

    /// <summary>
    /// The merged fixed-bin histogram of one score (<see cref="ScoreBins"/>): bin index → count, ascending, and the width;
    /// null width when no shard binned the score. Shards of one run share the width (it comes from the run's context).
    /// </summary>
    public static async Task<(double? Width, List<KeyValuePair<long, long>> Bins)> HistogramAsync(NpgsqlDataSource dataSource, Guid runId, string score, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using NpgsqlCommand command = dataSource.CreateCommand(
            """
            SELECT h.width, u.bin, sum(u.count)::bigint
            FROM shard_histograms h, unnest(h.bins, h.counts) AS u(bin, count)
            WHERE h.run_id = $1 AND h.score_kind = $2
            GROUP BY h.width, u.bin ORDER BY u.bin
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = score });
        double? width = null;
        var bins = new List<KeyValuePair<long, long>>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            double w = reader.GetDouble(0);
            if (width is { } seen && seen != w)
            {
                throw new InvalidOperationException($"Run {runId}: the shards binned {score} with different widths ({seen} and {w}); the histogram cannot merge them.");
            }

            width = w;
            bins.Add(new KeyValuePair<long, long>(reader.GetInt64(1), reader.GetInt64(2)));
        }

        return (width, bins);
    }

    /// <summary>
    /// The top <paramref name="limit"/> candidates of the run by (SISOM descending, item id) among the shards' candidates
    /// stored under <paramref name="filter"/>, items labeled in the pool now left out — or null when that is not provably
    /// the full scan's answer: a shard stored another filter, or a shard that kept only its top candidates could hold an
    /// unkept item that ranks among them (its best unkept SISOM is not strictly below the last one returned). The caller
    /// then scans.
    /// </summary>
    public static async Task<List<ShardCandidate>?> CandidatesAsync(NpgsqlDataSource dataSource, Guid runId, Guid poolId, string filter, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        double? boundary;
        await using (NpgsqlCommand check = dataSource.CreateCommand(
            "SELECT count(*) FILTER (WHERE candidate_filter <> $2), max(boundary_sisom) FROM shard_aggregates WHERE run_id = $1"))
        {
            check.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = filter });
            await using NpgsqlDataReader reader = await check.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (reader.GetInt64(0) > 0)
            {
                return null;
            }

            boundary = reader.IsDBNull(1) ? null : reader.GetDouble(1);
        }

        var candidates = new List<ShardCandidate>();
        await using (NpgsqlCommand command = dataSource.CreateCommand(
            """
            SELECT c.shard_id, c.item_id, c.sisom, c.sisome, c.knn, c.energy, c.predicted, c.flagged, c.d_in, c.d_out
            FROM shard_candidates c
            LEFT JOIN labels l ON l.pool_id = $2 AND l.item_id = c.item_id
            WHERE c.run_id = $1 AND l.item_id IS NULL
            ORDER BY c.sisom DESC, c.item_id
            LIMIT $3
            """))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = poolId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                candidates.Add(new ShardCandidate
                {
                    RunId = runId,
                    ShardId = reader.GetInt32(0),
                    ItemId = reader.GetString(1),
                    Sisom = reader.GetDouble(2),
                    Sisome = reader.GetDouble(3),
                    Knn = reader.IsDBNull(4) ? null : reader.GetDouble(4),
                    Energy = reader.GetDouble(5),
                    Predicted = reader.GetInt32(6),
                    Flagged = reader.GetBoolean(7),
                    DIn = reader.GetDouble(8),
                    DOut = reader.IsDBNull(9) ? null : reader.GetDouble(9),
                });
            }
        }

        // No shard left an eligible item out: the candidates are every eligible item, so their top is exact.
        if (boundary is not { } b)
        {
            return candidates;
        }

        // Every item a shard left out has SISOM <= its boundary <= b: the answer is exact when it is full and its last is above b.
        // (Ties at b could order by item id in the database's collation; they fall back to the scan.)
        return candidates.Count == limit && candidates[^1].Sisom > b ? candidates : null;
    }
}

/// <summary>A run's shards: done, done with aggregates, all.</summary>
public readonly record struct AggregateCoverage(int DoneShards, int AggregatedShards, int Shards)
{
    /// <summary>Every done shard has aggregates (and at least one is done): they answer for everything committed.</summary>
    public bool Complete => DoneShards > 0 && AggregatedShards == DoneShards;
}

/// <summary>Items scored and flagged in one drift bucket.</summary>
public readonly record struct DriftCount(DriftBucketKind Kind, string Bucket, long Scored, long Flagged);
