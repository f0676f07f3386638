namespace SisomCluster.Data.Results;

/// <summary>
/// <c>item_scores</c> is partitioned by run (<c>LIST (run_id)</c>, migration <c>PartitionItemScores</c>): one table per
/// run, created with the run by a trigger on <c>runs</c>. The worker COPYs into its run's partition directly (no tuple
/// routing), similarity indexes are built on it, and deleting a run drops it (<see cref="Runs.RunDeletion"/>).
/// </summary>
public static class ItemScorePartitions
{
    /// <summary>The partition's table name: <c>item_scores_r</c> and the run id's 32 hex digits (45 characters, below 63).</summary>
    public static string Name(Guid runId) => $"item_scores_r{runId:N}";
}
