using Npgsql;
using SisomCluster.Data.Results;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// The shard commit as it was before item_scores was partitioned (commit e6d5c3e), kept as the same-run baseline of
/// <see cref="CopyRescoreBenchmark"/>: one transaction that binary-COPYs the rows into a temp table, then locks the shard
/// row, <c>INSERT … SELECT … ON CONFLICT (run_id, item_id) DO NOTHING</c> into <c>item_scores</c> (routed to the run's
/// partition now) and marks the shard done. Scores only (the benchmark's rows carry no errors).
/// </summary>
internal static class CopyLegacyCommit
{
    // That commit's chunk: 1 024 rows per COPY (the commit now COPYs up to ShardCommit.ChunkRows at a time).
    private const int ChunkRows = 1024;

    public static async Task<int> CommitAsync(NpgsqlDataSource dataSource, Guid runId, int shardId, IEnumerable<ItemScoreRow> rows, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "CREATE TEMP TABLE item_scores_in (LIKE item_scores) ON COMMIT DROP", runId, shardId, cancellationToken).ConfigureAwait(false);
        var chunk = new List<ItemScoreRow>(ChunkRows);
        foreach (ItemScoreRow row in rows)
        {
            chunk.Add(row);
            if (chunk.Count == ChunkRows)
            {
                await CopyAsync(connection, runId, shardId, chunk, cancellationToken).ConfigureAwait(false);
            }
        }

        await CopyAsync(connection, runId, shardId, chunk, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "SELECT 1 FROM shards WHERE run_id = $1 AND shard_id = $2 FOR UPDATE", runId, shardId, cancellationToken).ConfigureAwait(false);
        string columns = string.Join(", ", ItemScoreColumns.Names);
        await using var insert = new NpgsqlCommand(
            $"""
            WITH s AS (
                INSERT INTO item_scores ({columns}) SELECT {columns} FROM item_scores_in
                ON CONFLICT (run_id, item_id) DO NOTHING RETURNING 1)
            UPDATE shards SET state = 'done', scored = (SELECT count(*) FROM s), finished_at = now()
            WHERE run_id = $1 AND shard_id = $2
            RETURNING scored
            """,
            connection,
            transaction);
        insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
        int inserted = (int)(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return inserted;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, Guid runId, int shardId, List<ItemScoreRow> chunk, CancellationToken cancellationToken)
    {
        if (chunk.Count == 0)
        {
            return;
        }

        await ItemScoreColumns.CopyAsync(connection, "item_scores_in", runId, shardId, chunk, cancellationToken).ConfigureAwait(false);
        chunk.Clear();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Guid runId, int shardId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        if (sql.Contains("$1", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
