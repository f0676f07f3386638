using Npgsql;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// What <c>bench chaos</c> reads from the database: a run's shard counts while it runs (null while PostgreSQL is
/// away), and its outcome in SQL once it ended.
/// </summary>
internal sealed class ChaosRunProbe(NpgsqlDataSource dataSource)
{
    public sealed record Snapshot(string State, int Pending, int Leased, int Done, int Failed)
    {
        public bool Ended => State is "completed" or "failed" or "cancelled";

        /// <summary>Running, a shard done, and at least <paramref name="minPending"/> shards not done yet (waiting or in a worker's
        /// hands: with fast commits the workers may hold most of the rest at once).</summary>
        public bool MidRun(int minPending) => State == "running" && Done >= 1 && Pending + Leased >= minPending;
    }

    public sealed record Outcome(string State, long Scored, long Errors, long ItemsOfFailedShards, long Duplicates, long Stuck, int FailedShards, int ReissuedShards, DateTimeOffset? CompletedAt, DateTimeOffset? FirstFinishedAfter);

    public sealed record Lease(int ShardId, int Attempt, string Owner);

    /// <summary>The run's state and shard counts, or null when the database does not answer.</summary>
    public async Task<Snapshot?> TrySnapshotAsync(Guid runId, CancellationToken cancellationToken)
    {
        try
        {
            await using NpgsqlCommand command = dataSource.CreateCommand(
                """
                SELECT r.state,
                       count(*) FILTER (WHERE s.state = 'pending'), count(*) FILTER (WHERE s.state = 'leased'),
                       count(*) FILTER (WHERE s.state = 'done'), count(*) FILTER (WHERE s.state = 'failed')
                FROM runs r LEFT JOIN shards s ON s.run_id = r.id WHERE r.id = $1 GROUP BY r.state
                """);
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new Snapshot(reader.GetString(0), (int)reader.GetInt64(1), (int)reader.GetInt64(2), (int)reader.GetInt64(3), (int)reader.GetInt64(4))
                : null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>The run's leased shards and who holds them.</summary>
    public async Task<IReadOnlyList<Lease>> LeasesAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand("SELECT shard_id, attempt, lease_owner FROM shards WHERE run_id = $1 AND state = 'leased' AND lease_owner IS NOT NULL");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var leases = new List<Lease>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            leases.Add(new Lease(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2)));
        }

        return leases;
    }

    /// <summary>The run's shards in order: id, item count and state.</summary>
    public async Task<IReadOnlyList<(int ShardId, int ItemCount, string State)>> ShardsAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand("SELECT shard_id, item_count, state FROM shards WHERE run_id = $1 ORDER BY shard_id");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var shards = new List<(int, int, string)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            shards.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2)));
        }

        return shards;
    }

    /// <summary>When the shard ended (done, or failed after its last attempt); null while it has not.</summary>
    public async Task<DateTimeOffset?> FinishedAtAsync(Guid runId, int shardId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand("SELECT finished_at FROM shards WHERE run_id = $1 AND shard_id = $2");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
        object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DateTime utc ? new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)) : value as DateTimeOffset?;
    }

    /// <summary>
    /// The run's outcome: result rows, error rows, items of failed shards that wrote no error rows (a tar or embeddings
    /// shard cannot list its ids), result rows beyond one per item, and the benchmark's runs not ended.
    /// </summary>
    public async Task<Outcome> OutcomeAsync(Guid runId, DateTimeOffset faultEnd, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(
            """
            SELECT r.state,
                   (SELECT count(*) FROM item_scores WHERE run_id = r.id),
                   (SELECT count(*) FROM item_errors WHERE run_id = r.id),
                   (SELECT coalesce(sum(s.item_count), 0) FROM shards s WHERE s.run_id = r.id AND s.state = 'failed'
                      AND NOT EXISTS (SELECT 1 FROM item_errors e WHERE e.run_id = s.run_id AND e.shard_id = s.shard_id)),
                   (SELECT count(*) - count(DISTINCT item_id) FROM (SELECT item_id FROM item_scores WHERE run_id = r.id
                      UNION ALL SELECT item_id FROM item_errors WHERE run_id = r.id) rows),
                   (SELECT count(*) FROM runs WHERE state IN ('pending', 'running', 'finalizing')),
                   (SELECT count(*) FROM shards WHERE run_id = r.id AND state = 'failed'),
                   (SELECT count(*) FROM shards WHERE run_id = r.id AND attempt > 1),
                   r.completed_at,
                   (SELECT min(finished_at) FROM shards WHERE run_id = r.id AND finished_at >= $2)
            FROM runs r WHERE r.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = faultEnd });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"run {runId} is not in the database");
        }

        return new Outcome(
            reader.GetString(0),
            reader.GetInt64(1),
            reader.GetInt64(2),
            Convert.ToInt64(reader.GetValue(3), System.Globalization.CultureInfo.InvariantCulture),
            reader.GetInt64(4),
            reader.GetInt64(5),
            (int)reader.GetInt64(6),
            (int)reader.GetInt64(7),
            reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
            reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9));
    }
}
