using Npgsql;

namespace SisomCluster.Data.Results;

/// <summary>
/// Commits a shard's results exactly once (ARCHITECTURE.md §3): in one transaction it takes the shard's commit lock and
/// checks the fence (the shard is not done and the caller holds its current attempt; otherwise nothing is COPYed), then
/// binary-COPYs the rows straight into the run's <c>item_scores</c> partition — chunk by chunk as the worker scores them
/// (<see cref="BeginAsync"/>), so that a big shard is never held in memory whole — and at completion locks the shard row,
/// checks the fence again and flips the shard to <c>done</c>. A redelivered message, a second worker racing on the same
/// shard, or a worker of an attempt the coordinator gave up on therefore never duplicates or overwrites a row.
/// </summary>
public sealed class ShardResultWriter
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ShardCommitLimits _limits;

    public ShardResultWriter(NpgsqlDataSource dataSource)
        : this(dataSource, ShardCommitLimits.Default)
    {
    }

    public ShardResultWriter(NpgsqlDataSource dataSource, ShardCommitLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _dataSource = dataSource;
        _limits = limits;
    }

    /// <summary>
    /// Opens the commit of attempt <paramref name="attempt"/> of a shard: a connection and a transaction holding the
    /// shard's commit lock, into which <see cref="ShardCommit.AddScoresAsync"/> and <see cref="ShardCommit.AddErrorsAsync"/>
    /// COPY as results come; <see cref="ShardCommit.CompleteAsync"/> commits them. Waits while another commit of the same
    /// shard is open (a frozen one for at most <see cref="ShardCommitLimits.IdleLimit"/>); a refused commit (<see cref="ShardCommit.Refused"/>) writes nothing. Disposing it uncompleted rolls
    /// everything back.
    /// </summary>
    public Task<ShardCommit> BeginAsync(Guid runId, int shardId, int attempt, CancellationToken cancellationToken = default) =>
        ShardCommit.BeginAsync(_dataSource, _limits, runId, shardId, attempt, null, cancellationToken);

    /// <summary>
    /// <see cref="BeginAsync(Guid, int, int, CancellationToken)"/>, and the commit also writes the shard's partial aggregates
    /// (<see cref="Aggregates.ShardAggregate"/>: selection candidates, drift counts, histogram bins) in its transaction.
    /// </summary>
    public Task<ShardCommit> BeginAsync(Guid runId, int shardId, int attempt, Aggregates.ShardAggregateSpec? aggregates, CancellationToken cancellationToken = default) =>
        ShardCommit.BeginAsync(_dataSource, _limits, runId, shardId, attempt, aggregates, cancellationToken);

    /// <summary>Commits rows already in memory: <see cref="BeginAsync"/>, add them, complete.</summary>
    public async Task<ShardCommitOutcome> CommitAsync(
        Guid runId,
        int shardId,
        int attempt,
        IReadOnlyList<ItemScoreRow> scores,
        IReadOnlyList<ItemErrorRow> errors,
        CancellationToken cancellationToken = default) =>
        await CommitAsync(runId, shardId, attempt, scores, errors, null, cancellationToken).ConfigureAwait(false);

    /// <summary>Commits rows already in memory with the shard's partial aggregates (<paramref name="aggregates"/>; null: none).</summary>
    public async Task<ShardCommitOutcome> CommitAsync(
        Guid runId,
        int shardId,
        int attempt,
        IReadOnlyList<ItemScoreRow> scores,
        IReadOnlyList<ItemErrorRow> errors,
        Aggregates.ShardAggregateSpec? aggregates,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(errors);
        ShardCommit commit = await BeginAsync(runId, shardId, attempt, aggregates, cancellationToken).ConfigureAwait(false);
        await using (commit.ConfigureAwait(false))
        {
            await commit.AddScoresAsync(scores, cancellationToken).ConfigureAwait(false);
            await commit.AddErrorsAsync(errors, cancellationToken).ConfigureAwait(false);
            return await commit.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
