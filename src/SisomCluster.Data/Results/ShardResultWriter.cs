using Npgsql;
using NpgsqlTypes;

namespace SisomCluster.Data.Results;

/// <summary>
/// Commits a shard's results exactly once (ARCHITECTURE.md §3): in one transaction it locks the shard row, checks that the
/// shard is not done and that the caller holds the current attempt, binary-COPYs the rows into temp tables, inserts them
/// with <c>ON CONFLICT DO NOTHING</c> and flips the shard to <c>done</c>. A redelivered message, a second worker racing on
/// the same shard, or a worker of an attempt the coordinator gave up on therefore never duplicates or overwrites a row.
/// </summary>
public sealed class ShardResultWriter
{
    private const string ErrorColumns = "run_id, item_id, shard_id, reason, detail, at";

    private readonly NpgsqlDataSource _dataSource;

    public ShardResultWriter(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    public async Task<ShardCommitOutcome> CommitAsync(
        Guid runId,
        int shardId,
        int attempt,
        IReadOnlyList<ItemScoreRow> scores,
        IReadOnlyList<ItemErrorRow> errors,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(errors);

        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // The row lock serialises commits of one shard: a second committer waits here and then sees 'done'.
                ShardCommitStatus? refusal = await LockShardAsync(connection, runId, shardId, attempt, cancellationToken).ConfigureAwait(false);
                if (refusal is { } status)
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return ShardCommitOutcome.NothingWritten(status);
                }

                await using (var create = new NpgsqlCommand(
                    "CREATE TEMP TABLE item_scores_in (LIKE item_scores) ON COMMIT DROP; "
                    + "CREATE TEMP TABLE item_errors_in (LIKE item_errors) ON COMMIT DROP",
                    connection))
                {
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                if (scores.Count > 0)
                {
                    await CopyScoresAsync(connection, runId, shardId, scores, cancellationToken).ConfigureAwait(false);
                }

                if (errors.Count > 0)
                {
                    await CopyErrorsAsync(connection, runId, shardId, errors, cancellationToken).ConfigureAwait(false);
                }

                (int scored, int failed) = await InsertAndFinishAsync(connection, runId, shardId, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return new ShardCommitOutcome(ShardCommitStatus.Committed, scored, failed);
            }
        }
    }

    private static async Task<ShardCommitStatus?> LockShardAsync(
        NpgsqlConnection connection, Guid runId, int shardId, int attempt, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT state, attempt FROM shards WHERE run_id = $1 AND shard_id = $2 FOR UPDATE", connection);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
        NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return ShardCommitStatus.UnknownShard;
            }

            string state = reader.GetString(0);
            int current = reader.GetInt32(1);
            return state switch
            {
                "done" => ShardCommitStatus.AlreadyDone,
                _ when current != attempt => ShardCommitStatus.StaleAttempt,
                "failed" => ShardCommitStatus.ShardFailed,
                _ => null,
            };
        }
    }

    private static async Task CopyScoresAsync(
        NpgsqlConnection connection, Guid runId, int shardId, IReadOnlyList<ItemScoreRow> scores, CancellationToken cancellationToken)
    {
        NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            $"COPY item_scores_in ({ItemScoreColumns.List}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (ItemScoreRow row in scores)
            {
                var source = new ItemScoreCopyRow(runId, shardId, row);
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                foreach (CopyColumn<ItemScoreCopyRow> column in ItemScoreColumns.All)
                {
                    await column.WriteAsync(importer, source, cancellationToken).ConfigureAwait(false);
                }
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task CopyErrorsAsync(
        NpgsqlConnection connection, Guid runId, int shardId, IReadOnlyList<ItemErrorRow> errors, CancellationToken cancellationToken)
    {
        NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            $"COPY item_errors_in ({ErrorColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            for (int i = 0; i < errors.Count; i++)
            {
                ItemErrorRow row = errors[i];
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(runId, NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.ItemId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(shardId, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Reason, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Detail, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.At.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<(int Scored, int Failed)> InsertAndFinishAsync(
        NpgsqlConnection connection, Guid runId, int shardId, CancellationToken cancellationToken)
    {
        // One statement: the inserted counts go straight into the shard row, so progress sums always match the tables.
        string sql = $"""
            WITH s AS (
                INSERT INTO item_scores ({ItemScoreColumns.List})
                SELECT {ItemScoreColumns.List} FROM item_scores_in
                ON CONFLICT (run_id, item_id) DO NOTHING
                RETURNING 1),
            e AS (
                INSERT INTO item_errors ({ErrorColumns})
                SELECT {ErrorColumns} FROM item_errors_in
                ON CONFLICT (run_id, item_id) DO NOTHING
                RETURNING 1)
            UPDATE shards
            SET state = 'done', scored = (SELECT count(*) FROM s), failed = (SELECT count(*) FROM e),
                lease_expires_at = NULL, finished_at = now()
            WHERE run_id = $1 AND shard_id = $2
            RETURNING scored, failed
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
        NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return (reader.GetInt32(0), reader.GetInt32(1));
        }
    }
}
