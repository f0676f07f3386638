namespace SisomCluster.Contracts.Http;

/// <summary>A run's shards by state and its items: scored, with errors, and listed in shards that failed.</summary>
public sealed record RunProgressResponse(
    int TotalShards, int PendingShards, int LeasedShards, int DoneShards, int FailedShards, long Items, long ItemsScored, long ItemsFailed, long ItemsInFailedShards);
