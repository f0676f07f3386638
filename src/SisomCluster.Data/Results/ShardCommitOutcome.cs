namespace SisomCluster.Data.Results;

/// <param name="ScoresInserted">
/// New <c>item_scores</c> rows; fewer than offered when an item already had a row in the run (an id listed in two shards).
/// Also stored as the shard's <c>scored</c>, so that progress sums match the table.
/// </param>
/// <param name="ErrorsInserted">New <c>item_errors</c> rows, stored as the shard's <c>failed</c>.</param>
public sealed record ShardCommitOutcome(ShardCommitStatus Status, int ScoresInserted, int ErrorsInserted)
{
    public static ShardCommitOutcome NothingWritten(ShardCommitStatus status) => new(status, 0, 0);
}
