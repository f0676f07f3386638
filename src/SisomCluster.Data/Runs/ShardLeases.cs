using Npgsql;

namespace SisomCluster.Data.Runs;

/// <summary>
/// Shard leases: a worker leases the attempt its message names and heartbeats while it works; the coordinator finds
/// leases that ran out and re-issues the shard with the next attempt, or fails it after max_attempts (ARCHITECTURE.md §3).
/// Every statement is guarded by the attempt, so a late worker or a second coordinator can never undo a newer decision.
/// Time comes from <see cref="TimeProvider"/> so tests (and the coordinator's own tests) control the clock.
/// </summary>
public sealed class ShardLeases
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _timeProvider;

    public ShardLeases(NpgsqlDataSource dataSource, TimeProvider timeProvider)
    {
        _dataSource = dataSource;
        _timeProvider = timeProvider;
    }

    /// <summary>
    /// Leases attempt <paramref name="attempt"/> of a pending shard for <paramref name="duration"/>.
    /// </summary>
    /// <remarks>
    /// Only a pending shard can be leased. A message the broker redelivers after its worker died finds the shard still
    /// leased and is dropped; the shard comes back when its lease runs out (or is abandoned), as the next attempt. So every
    /// worker that starts on a shard uses up one attempt, and a shard that crashes each process that touches it is failed
    /// after max_attempts instead of being redelivered forever.
    /// </remarks>
    /// <returns>The lease, or null when the shard is leased, done, failed or at another attempt: ack the message and drop it.</returns>
    public async Task<ShardLease?> LeaseAsync(
        Guid runId, int shardId, int attempt, string owner, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        DateTimeOffset now = _timeProvider.GetUtcNow();
        const string Sql = """
            UPDATE shards
            SET state = 'leased', lease_owner = $4, lease_expires_at = $5, started_at = coalesce(started_at, $6)
            WHERE run_id = $1 AND shard_id = $2 AND attempt = $3 AND state = 'pending'
            RETURNING lease_expires_at, descriptor::text, item_count
            """;
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand(Sql, connection);
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now + duration });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                return new ShardLease(
                    runId, shardId, attempt, owner, reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetInt32(2));
            }
        }
    }

    /// <summary>Extends the lease to now + <paramref name="duration"/>.</summary>
    /// <returns>False when the lease is lost (re-issued, taken over, or the shard finished): stop working on it.</returns>
    public async Task<bool> HeartbeatAsync(
        Guid runId, int shardId, int attempt, string owner, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            UPDATE shards SET lease_expires_at = $5
            WHERE run_id = $1 AND shard_id = $2 AND attempt = $3 AND lease_owner = $4 AND state = 'leased'
            """;
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand(Sql, connection);
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _timeProvider.GetUtcNow() + duration });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
    }

    /// <summary>
    /// Ends a lease now because its worker gave up (an exception, or the process is stopping): the coordinator re-issues the
    /// shard at its next check instead of waiting for the lease to run out. <paramref name="reason"/> goes to <c>last_error</c>
    /// and stays there through the re-issue; the lease has no owner any more, so no heartbeat can revive it.
    /// </summary>
    /// <returns>False when the lease was no longer this owner's.</returns>
    public async Task<bool> AbandonAsync(
        Guid runId, int shardId, int attempt, string owner, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        const string Sql = """
            UPDATE shards SET lease_expires_at = $5, last_error = $6, lease_owner = NULL
            WHERE run_id = $1 AND shard_id = $2 AND attempt = $3 AND lease_owner = $4 AND state = 'leased'
            """;
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand(Sql, connection);
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _timeProvider.GetUtcNow() });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reason });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
    }

    /// <summary>Leased shards (of any run) whose lease ended before now, oldest first.</summary>
    public async Task<IReadOnlyList<ExpiredShard>> ExpiredAsync(int limit = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        const string Sql = """
            SELECT run_id, shard_id, attempt, lease_owner, lease_expires_at
            FROM shards
            WHERE state = 'leased' AND lease_expires_at <= $1
            ORDER BY lease_expires_at
            LIMIT $2
            """;
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand(Sql, connection);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _timeProvider.GetUtcNow() });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            var expired = new List<ExpiredShard>();
            NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    expired.Add(new ExpiredShard(
                        reader.GetGuid(0),
                        reader.GetInt32(1),
                        reader.GetInt32(2),
                        reader.IsDBNull(3) ? null : reader.GetString(3),
                        reader.GetFieldValue<DateTimeOffset>(4)));
                }
            }

            return expired;
        }
    }

    /// <summary>
    /// Gives up on attempt <paramref name="attempt"/> of a shard: back to pending with attempt + 1, or failed when the
    /// attempt was the run's max_attempts-th. <paramref name="reason"/> is kept in <c>last_error</c> (an abandoned lease keeps its own). Applies only to a
    /// pending shard or a leased one whose lease has ended, so a shard that heartbeated since it was listed keeps running.
    /// </summary>
    public Task<ShardReissue> ReissueAsync(
        Guid runId, int shardId, int attempt, string reason, CancellationToken cancellationToken = default) =>
        ReissueAsync(runId, shardId, attempt, reason, listedItems: null, cancellationToken);

    /// <summary>
    /// <see cref="ReissueAsync(Guid, int, int, string, CancellationToken)"/>, and when the shard fails, one
    /// <c>shard_failed</c> row in <c>item_errors</c> per item that <paramref name="listedItems"/> reads from its descriptor
    /// (null: the descriptor lists none; the run counts the shard from <c>item_count</c>). The state change and the rows
    /// are one transaction: a crash or an error between them leaves neither, so a failed shard never lacks its rows and a
    /// second sweep never writes them twice (only the sweep whose UPDATE fails the shard writes them).
    /// </summary>
    public async Task<ShardReissue> ReissueAsync(
        Guid runId, int shardId, int attempt, string reason, Func<string, IReadOnlyList<string>?>? listedItems, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);

        // In SET every reference to a column reads the row as it was before the update; RETURNING reads it after.
        const string Sql = """
            UPDATE shards AS s
            SET state = CASE WHEN s.attempt < r.max_attempts THEN 'pending' ELSE 'failed' END,
                attempt = CASE WHEN s.attempt < r.max_attempts THEN s.attempt + 1 ELSE s.attempt END,
                lease_owner = NULL,
                lease_expires_at = NULL,
                published_at = NULL,
                finished_at = CASE WHEN s.attempt < r.max_attempts THEN NULL ELSE $5 END,
                last_error = CASE WHEN s.state = 'leased' AND s.lease_owner IS NULL THEN s.last_error ELSE $4 END
            FROM runs AS r
            WHERE r.id = s.run_id AND s.run_id = $1 AND s.shard_id = $2 AND s.attempt = $3
              AND (s.state = 'pending' OR (s.state = 'leased' AND s.lease_expires_at <= $5))
            RETURNING s.state, s.attempt, s.descriptor::text, s.last_error
            """;
        DateTimeOffset now = _timeProvider.GetUtcNow();
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                ShardReissue reissue;
                string descriptor;
                await using (var command = new NpgsqlCommand(Sql, connection, transaction))
                {
                    command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
                    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
                    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reason });
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
                    NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        {
                            return new ShardReissue(ShardReissueStatus.NotReissued, attempt);
                        }

                        bool failed = reader.GetString(0) == "failed";
                        reissue = failed
                            ? new ShardReissue(ShardReissueStatus.Failed, reader.GetInt32(1)) { LastError = reader.IsDBNull(3) ? "failed" : reader.GetString(3) }
                            : new ShardReissue(ShardReissueStatus.Reissued, reader.GetInt32(1));
                        descriptor = reader.GetString(2);
                    }
                }

                if (reissue.Status == ShardReissueStatus.Failed && listedItems?.Invoke(descriptor) is { Count: > 0 } items)
                {
                    await RecordFailedItemsAsync(connection, transaction, runId, shardId, reissue, items, now, cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return reissue;
            }
        }
    }

    private static async Task RecordFailedItemsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        Guid runId,
        int shardId,
        ShardReissue reissue,
        IReadOnlyList<string> items,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        // The key (run_id, item_id) makes a second write impossible; DO NOTHING keeps an item another shard already
        // accounted for (a duplicate id across shards) from failing the whole transaction.
        const string Sql = """
            INSERT INTO item_errors (run_id, item_id, shard_id, reason, detail, at)
            SELECT $1, item, $2, 'shard_failed', $3, $4 FROM unnest($5::text[]) AS item
            ON CONFLICT (run_id, item_id) DO NOTHING
            """;
        await using var command = new NpgsqlCommand(Sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"shard {shardId} failed after {reissue.Attempt} attempts: {reissue.LastError}" });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. items] });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
