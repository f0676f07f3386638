namespace SisomCluster.Data.Results;

/// <param name="ScoresInserted">
/// New <c>item_scores</c> rows (every row offered: an item that already had a row in the run from another shard fails
/// the commit instead, see <see cref="ShardCommit"/>). Also stored as the shard's <c>scored</c>, so that progress sums match the table.
/// </param>
/// <param name="ErrorsInserted">New <c>item_errors</c> rows, stored as the shard's <c>failed</c>.</param>
public sealed record ShardCommitOutcome(ShardCommitStatus Status, int ScoresInserted, int ErrorsInserted)
{
    public static ShardCommitOutcome NothingWritten(ShardCommitStatus status) => new(status, 0, 0);
}
