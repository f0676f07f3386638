using Npgsql;
using NpgsqlTypes;

namespace SisomCluster.Data.Results;

/// <summary>
/// One shard's commit in progress (<see cref="ShardResultWriter.BeginAsync"/>): one connection and one transaction for
/// the whole shard. Rows are buffered up to <see cref="ChunkRows"/> and then binary-COPYed into temp tables, so memory is
/// bounded by a chunk whatever the shard's size; nothing reaches <c>item_scores</c> or <c>item_errors</c> before
/// <see cref="CompleteAsync"/>, which takes the shard's row lock only then (the worker's heartbeat and the coordinator's
/// sweep are not blocked while the shard is scored). Not thread-safe: one caller adds at a time.
/// </summary>
public sealed class ShardCommit : IAsyncDisposable
{
    /// <summary>
    /// Rows per COPY: large enough that a COPY's round trips do not count (1 024 rows of 512-d embeddings are ~2 MiB),
    /// small enough that a chunk, not the shard, bounds memory.
    /// </summary>
    public const int ChunkRows = 1024;

    private const string ErrorColumns = "run_id, item_id, shard_id, reason, detail, at";

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly Guid _runId;
    private readonly int _shardId;
    private readonly int _attempt;
    private readonly List<ItemScoreRow> _scores = new(ChunkRows);
    private readonly List<ItemErrorRow> _errors = [];
    private bool _completed;

    private ShardCommit(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid runId, int shardId, int attempt)
    {
        _connection = connection;
        _transaction = transaction;
        _runId = runId;
        _shardId = shardId;
        _attempt = attempt;
    }

    /// <summary>Rows sent to the temp tables so far (not yet inserted: <see cref="CompleteAsync"/> decides).</summary>
    public int ScoresStaged { get; private set; }

    /// <inheritdoc cref="ScoresStaged"/>
    public int ErrorsStaged { get; private set; }

    internal static async Task<ShardCommit> BeginAsync(NpgsqlDataSource dataSource, Guid runId, int shardId, int attempt, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // The transaction stays open while the shard is scored (idle between chunks): a server-wide
            // idle_in_transaction_session_timeout must not kill it, so this transaction turns it off for itself.
            await using (var create = new NpgsqlCommand(
                "SET LOCAL idle_in_transaction_session_timeout = 0; "
                + "CREATE TEMP TABLE item_scores_in (LIKE item_scores) ON COMMIT DROP; "
                + "CREATE TEMP TABLE item_errors_in (LIKE item_errors) ON COMMIT DROP",
                connection,
                transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new ShardCommit(connection, transaction, runId, shardId, attempt);
        }
        catch
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Adds scored rows; a full chunk is COPYed before this returns.</summary>
    public async Task AddScoresAsync(IEnumerable<ItemScoreRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ObjectDisposedException.ThrowIf(_completed, this);
        foreach (ItemScoreRow row in rows)
        {
            _scores.Add(row);
            if (_scores.Count == ChunkRows)
            {
                await FlushScoresAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Adds error rows; a full chunk is COPYed before this returns.</summary>
    public async Task AddErrorsAsync(IEnumerable<ItemErrorRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ObjectDisposedException.ThrowIf(_completed, this);
        foreach (ItemErrorRow row in rows)
        {
            _errors.Add(row);
            if (_errors.Count == ChunkRows)
            {
                await FlushErrorsAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Locks the shard row and, when the caller still holds the current attempt of a shard that is not done, inserts
    /// the staged rows and marks the shard done, then commits; otherwise rolls back and says why.
    /// </summary>
    public async Task<ShardCommitOutcome> CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _completed = true;

        // The row lock serialises commits of one shard: a second committer waits here and then sees 'done'.
        ShardCommitStatus? refusal = await LockShardAsync(cancellationToken).ConfigureAwait(false);
        if (refusal is { } status)
        {
            await _transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return ShardCommitOutcome.NothingWritten(status);
        }

        await FlushScoresAsync(cancellationToken).ConfigureAwait(false);
        await FlushErrorsAsync(cancellationToken).ConfigureAwait(false);
        (int scored, int failed) = await InsertAndFinishAsync(cancellationToken).ConfigureAwait(false);
        await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ShardCommitOutcome(ShardCommitStatus.Committed, scored, failed);
    }

    /// <summary>Rolls back an uncompleted commit (the temp tables go with it) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _completed = true;
        _scores.Clear();
        _errors.Clear();
        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<ShardCommitStatus?> LockShardAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT state, attempt FROM shards WHERE run_id = $1 AND shard_id = $2 FOR UPDATE", _connection, _transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = _runId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _shardId });
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
                _ when current != _attempt => ShardCommitStatus.StaleAttempt,
                "failed" => ShardCommitStatus.ShardFailed,
                _ => null,
            };
        }
    }

    private async Task FlushScoresAsync(CancellationToken cancellationToken)
    {
        if (_scores.Count == 0)
        {
            return;
        }

        NpgsqlBinaryImporter importer = await _connection.BeginBinaryImportAsync(
            $"COPY item_scores_in ({ItemScoreColumns.List}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (ItemScoreRow row in _scores)
            {
                var source = new ItemScoreCopyRow(_runId, _shardId, row);
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                foreach (CopyColumn<ItemScoreCopyRow> column in ItemScoreColumns.All)
                {
                    await column.WriteAsync(importer, source, cancellationToken).ConfigureAwait(false);
                }
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        ScoresStaged += _scores.Count;
        _scores.Clear();
    }

    private async Task FlushErrorsAsync(CancellationToken cancellationToken)
    {
        if (_errors.Count == 0)
        {
            return;
        }

        NpgsqlBinaryImporter importer = await _connection.BeginBinaryImportAsync(
            $"COPY item_errors_in ({ErrorColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (ItemErrorRow row in _errors)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(_runId, NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.ItemId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(_shardId, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Reason, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Detail, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.At.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        ErrorsStaged += _errors.Count;
        _errors.Clear();
    }

    private async Task<(int Scored, int Failed)> InsertAndFinishAsync(CancellationToken cancellationToken)
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
        await using var command = new NpgsqlCommand(sql, _connection, _transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = _runId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _shardId });
        NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return (reader.GetInt32(0), reader.GetInt32(1));
        }
    }
}
