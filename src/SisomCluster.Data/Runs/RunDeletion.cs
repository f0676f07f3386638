using Npgsql;
using SisomCluster.Data.Results;

namespace SisomCluster.Data.Runs;

/// <summary>
/// Deletes a finished run with all its results. Its <c>item_scores</c> are a partition of their own
/// (<see cref="ItemScorePartitions"/>): it is detached with <c>DETACH PARTITION … CONCURRENTLY</c> (SHARE UPDATE EXCLUSIVE
/// on <c>item_scores</c>, so the other runs' readers and writers go on) and dropped — constant time, however many rows —
/// and then the run row goes, taking its shards, selection, thresholds and drift points with it (ON DELETE CASCADE), and
/// its <c>item_errors</c>. Deletions of one run are serialised by a session advisory lock on the run id (the detach cannot
/// run inside a transaction, so no row lock can span it): of two at once, the second waits, finds the run gone and answers
/// <see cref="RunDeleteStatus.NotFound"/> instead of failing on a partition the first already detached.
/// </summary>
public static class RunDeletion
{
    public static async Task<RunDeleteStatus> DeleteAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ScalarAsync<object>(connection, null, $"SELECT pg_advisory_lock({LockKey})", runId, cancellationToken).ConfigureAwait(false);
        try
        {
            return await DeleteLockedAsync(connection, runId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Not with the caller's token: the lock must go back before the connection returns to the pool (a broken
            // connection has lost it with its session).
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await ScalarAsync<object>(connection, null, $"SELECT pg_advisory_unlock({LockKey})", runId, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The advisory lock's key: the run id hashed into a bigint, in a namespace of its own.</summary>
    private const string LockKey = "hashtextextended('sisom.run-deletion:' || $1::text, 0)";

    private static async Task<RunDeleteStatus> DeleteLockedAsync(NpgsqlConnection connection, Guid runId, CancellationToken cancellationToken)
    {
        string? state = await ScalarAsync<string>(connection, null, "SELECT state FROM runs WHERE id = $1", runId, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return RunDeleteStatus.NotFound;
        }

        if (state is "pending" or "running")
        {
            return RunDeleteStatus.Active;
        }

        // DDL takes no parameters: the name is formatted from a Guid, never from text. CONCURRENTLY cannot run inside a
        // transaction; a detach interrupted half-way leaves the partition 'detach pending', which FINALIZE completes.
        string partition = ItemScorePartitions.Name(runId);
        bool? pending = await ScalarAsync<bool?>(
            connection, null, "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass($1)", partition, cancellationToken).ConfigureAwait(false);
        if (pending is { } detachPending)
        {
            await ExecuteAsync(
                connection, null, $"ALTER TABLE item_scores DETACH PARTITION {partition} {(detachPending ? "FINALIZE" : "CONCURRENTLY")}", cancellationToken).ConfigureAwait(false);
        }

        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"DROP TABLE IF EXISTS {partition}", cancellationToken).ConfigureAwait(false);
        await using (var errors = new NpgsqlCommand("DELETE FROM item_errors WHERE run_id = $1", connection, transaction))
        {
            errors.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            await errors.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var run = new NpgsqlCommand("DELETE FROM runs WHERE id = $1", connection, transaction))
        {
            run.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            await run.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return RunDeleteStatus.Deleted;
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, object parameter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is T value ? value : default;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
