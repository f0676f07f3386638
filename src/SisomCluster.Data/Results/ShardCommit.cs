using Npgsql;
using NpgsqlTypes;
using SisomCluster.Data.Aggregates;

namespace SisomCluster.Data.Results;

/// <summary>
/// One shard's commit in progress (<see cref="ShardResultWriter.BeginAsync"/>): one connection and one transaction for
/// the whole shard. <see cref="BeginAsync"/> takes the shard's commit lock (a transaction-scoped advisory lock, so the
/// worker's heartbeat and the coordinator's sweep, which update the shard row, are not blocked while the shard is scored)
/// and checks the fence: a shard that is done, failed, unknown or at another attempt is refused before anything is
/// COPYed. Rows are buffered up to a chunk (<see cref="ChunkRows"/> rows or <see cref="ChunkBytes"/>, whichever comes
/// first) and then binary-COPYed straight into the run's
/// <c>item_scores</c> partition (<see cref="ItemScorePartitions"/>) and into <c>item_errors</c>, so memory is bounded by a
/// chunk whatever the shard's size; nobody else sees them before <see cref="CompleteAsync"/> locks the shard row, checks
/// the fence again (the coordinator may have re-issued the shard meanwhile), marks the shard done and commits. Not
/// thread-safe: one caller adds at a time.
/// </summary>
public sealed class ShardCommit : IAsyncDisposable
{
    /// <summary>
    /// Rows per COPY at most. Each COPY statement has a fixed cost in PostgreSQL that is not small: its multi-insert
    /// buffer creates a tuple slot for each of up to 1 000 rows, and PostgreSQL 15's resource owner pins the table's
    /// descriptor once per slot in a hash keyed by that one descriptor, so creating and dropping them is quadratic (~1 ms a
    /// COPY here: 18 % of the database's CPU in a re-scoring run with 1 024-row COPYs, measured with <c>perf</c>). A shard
    /// of 4 096 score rows (~1 MiB) is therefore one COPY, a re-scoring shard of 16 384 two.
    /// </summary>
    public const int ChunkRows = 8192;

    /// <summary>
    /// Bytes per COPY at most (<see cref="EstimatedBytes"/>): rows with embeddings are flushed sooner (512-d: ~1 800 rows,
    /// 4 MiB), so that a chunk, not the shard, bounds memory.
    /// </summary>
    public const int ChunkBytes = 4 << 20;

    private const string ErrorColumns = "run_id, item_id, shard_id, reason, detail, at";

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly Guid _runId;
    private readonly int _shardId;
    private readonly int _attempt;
    private readonly string _partition;
    private readonly List<ItemScoreRow> _scores = new(ChunkRows);
    private readonly List<ItemErrorRow> _errors = [];
    private readonly ShardAggregator? _aggregator;
    private readonly CommitKeepAlive _keepAlive;
    private long _scoreBytes;
    private ShardCommitStatus? _refused;
    private bool _completed;

    private ShardCommit(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid runId, int shardId, int attempt, ShardAggregateSpec? aggregates)
    {
        _aggregator = aggregates is null ? null : new ShardAggregator(aggregates);
        _connection = connection;
        _transaction = transaction;
        _runId = runId;
        _shardId = shardId;
        _attempt = attempt;
        _partition = ItemScorePartitions.Name(runId);
        _keepAlive = new CommitKeepAlive(connection, transaction);
    }

    /// <summary>
    /// Rows COPYed into the run's partition so far, in this uncommitted transaction (<see cref="CompleteAsync"/> decides
    /// whether they stay). Zero when the commit was refused at <see cref="BeginAsync"/>: rows added then are dropped.
    /// </summary>
    public int ScoresStaged { get; private set; }

    /// <inheritdoc cref="ScoresStaged"/>
    public int ErrorsStaged { get; private set; }

    /// <summary>
    /// Why the commit was refused when it began (the shard is done, failed, unknown or at another attempt), or null when
    /// it holds the shard's commit lock and may write. A refused commit COPYs nothing; <see cref="CompleteAsync"/> reports
    /// the reason.
    /// </summary>
    public ShardCommitStatus? Refused => _refused;

    internal static async Task<ShardCommit> BeginAsync(NpgsqlDataSource dataSource, ShardCommitLimits limits, Guid runId, int shardId, int attempt, ShardAggregateSpec? aggregates, CancellationToken cancellationToken)
    {
        // A bad spec fails here, before a connection is taken.
        aggregates?.Validate();
        NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // The transaction stays open while the shard is scored (idle between chunks): it sets its own idle limit, so
            // that a server-wide idle_in_transaction_session_timeout tuned for short transactions does not kill it and a
            // frozen worker does not hold the shard's commit lock for ever (ShardCommitLimits).
            await using (var setting = new NpgsqlCommand($"SET LOCAL idle_in_transaction_session_timeout = {limits.IdleLimitMilliseconds}", connection, transaction))
            {
                await setting.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // One committer per shard at a time: a second one (a redelivery, or a newer attempt while a stale one is
            // still open) waits here, then reads the shard in a statement of its own (a fresh snapshot) and is refused
            // when the first committed. Rows of one shard therefore never meet another commit's uncommitted rows.
            await using (var lockShard = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1::text), $2)", connection, transaction))
            {
                lockShard.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
                lockShard.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardId });
                await lockShard.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var commit = new ShardCommit(connection, transaction, runId, shardId, attempt, aggregates);
            commit._refused = await commit.CheckFenceAsync(forUpdate: false, cancellationToken).ConfigureAwait(false);
            if (commit._refused is not null)
            {
                // Nothing will be written: give the lock and the connection back now, not when the caller disposes.
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (limits.IdleLimit is { } idle)
            {
                commit._keepAlive.Start(idle / 3);
            }

            return commit;
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
        if (_refused is not null)
        {
            return;
        }

        foreach (ItemScoreRow row in rows)
        {
            _aggregator?.Add(row);
            _scores.Add(row);
            _scoreBytes += EstimatedBytes(row);
            if (_scores.Count == ChunkRows || _scoreBytes >= ChunkBytes)
            {
                await _keepAlive.UseAsync(static (commit, token) => commit.FlushScoresAsync(token), this, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Adds error rows; a full chunk is COPYed before this returns.</summary>
    public async Task AddErrorsAsync(IEnumerable<ItemErrorRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_refused is not null)
        {
            return;
        }

        foreach (ItemErrorRow row in rows)
        {
            _errors.Add(row);
            if (_errors.Count == ChunkRows)
            {
                await _keepAlive.UseAsync(static (commit, token) => commit.FlushErrorsAsync(token), this, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Locks the shard row and, when the caller still holds the current attempt of a shard that is not done, COPYs the
    /// last rows, marks the shard done with the counts and commits; otherwise rolls back (the rows COPYed so far go with
    /// the transaction) and says why.
    /// </summary>
    public async Task<ShardCommitOutcome> CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _completed = true;
        await _keepAlive.StopAsync().ConfigureAwait(false);
        if (_refused is { } early)
        {
            return ShardCommitOutcome.NothingWritten(early);
        }

        // The row lock orders this commit against the coordinator's re-issue of the shard (which bumps the attempt).
        ShardCommitStatus? refusal = await CheckFenceAsync(forUpdate: true, cancellationToken).ConfigureAwait(false);
        if (refusal is { } status)
        {
            await _transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return ShardCommitOutcome.NothingWritten(status);
        }

        await FlushScoresAsync(cancellationToken).ConfigureAwait(false);
        await FlushErrorsAsync(cancellationToken).ConfigureAwait(false);
        if (_aggregator is not null)
        {
            // Same transaction, after the fence: the aggregates exist exactly when the shard is done with its rows.
            await _aggregator.WriteAsync(_connection, _transaction, _runId, _shardId, cancellationToken).ConfigureAwait(false);
        }

        await FinishAsync(cancellationToken).ConfigureAwait(false);
        await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ShardCommitOutcome(ShardCommitStatus.Committed, ScoresStaged, ErrorsStaged);
    }

    /// <summary>Rolls back an uncompleted commit (the temp tables go with it) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _completed = true;
        await _keepAlive.DisposeAsync().ConfigureAwait(false);
        _scores.Clear();
        _errors.Clear();
        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the keep-alive as a frozen process would (tests): the transaction then idles like a stopped worker's.
    /// </summary>
    internal Task SuspendKeepAliveAsync() => _keepAlive.StopAsync();

    private async Task<ShardCommitStatus?> CheckFenceAsync(bool forUpdate, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT state, attempt FROM shards WHERE run_id = $1 AND shard_id = $2" + (forUpdate ? " FOR UPDATE" : ""), _connection, _transaction);
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

        try
        {
            await ItemScoreColumns.CopyAsync(_connection, _partition, _runId, _shardId, _scores, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw Duplicate("item_scores", e);
        }

        ScoresStaged += _scores.Count;
        _scores.Clear();
        _scoreBytes = 0;
    }

    private async Task FlushErrorsAsync(CancellationToken cancellationToken)
    {
        if (_errors.Count == 0)
        {
            return;
        }

        NpgsqlBinaryImporter importer = await _connection.BeginBinaryImportAsync(
            $"COPY item_errors ({ErrorColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
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

            try
            {
                await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw Duplicate("item_errors", e);
            }
        }

        ErrorsStaged += _errors.Count;
        _errors.Clear();
    }

    /// <summary>
    /// A score row's size for <see cref="ChunkBytes"/>: 256 bytes for the scores, keys and ids (a binary COPY row of
    /// 25 columns is ~200 bytes with short ids) and 4 per embedding element.
    /// </summary>
    internal static long EstimatedBytes(ItemScoreRow row) => 256 + (4L * (row.Embedding?.Length ?? 0));

    // Commits of one shard are serialised and fenced, so a key that exists already came from another shard: the pool
    // listed one id twice (listings skip duplicates, so this is a bug or a hand-made shard). Fail loudly rather than count
    // the item twice; the transaction is rolled back, so nothing of this shard is written and it stays retryable.
    private InvalidOperationException Duplicate(string table, PostgresException e) =>
        new($"Shard {_shardId} of run {_runId}: an item already has a row in {table} from another shard ({e.Detail}); nothing of this shard was written.", e);

    private async Task FinishAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            UPDATE shards
            SET state = 'done', scored = $3, failed = $4, lease_expires_at = NULL, finished_at = now()
            WHERE run_id = $1 AND shard_id = $2
            """,
            _connection,
            _transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = _runId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _shardId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ScoresStaged });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ErrorsStaged });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
