namespace SisomCluster.Data.Runs;

/// <param name="State">The run's state after the call (null when there is no such run).</param>
/// <param name="ShardsStopped">Pending or leased shards marked failed by this call.</param>
public sealed record RunCancelResult(RunCancelStatus Status, RunState? State, int ShardsStopped);
