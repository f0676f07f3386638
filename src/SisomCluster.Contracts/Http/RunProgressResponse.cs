namespace SisomCluster.Contracts.Http;

/// <summary>A run's shards by state and its items: scored, with errors, and listed in shards that failed.</summary>
/// <param name="ReusedEmbeddings">Of <paramref name="ItemsScored"/>, the items scored from an earlier run's stored embeddings
/// (<see cref="RunResponse.EmbeddingsFrom"/>): read, decoded and embedded by no backbone in this run.</param>
public sealed record RunProgressResponse(
    int TotalShards, int PendingShards, int LeasedShards, int DoneShards, int FailedShards, long Items, long ItemsScored, long ItemsFailed, long ItemsInFailedShards, long ReusedEmbeddings = 0);
