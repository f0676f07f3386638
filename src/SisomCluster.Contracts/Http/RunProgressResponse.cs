namespace SisomCluster.Contracts.Http;

/// <summary>A run's shards by state and its items: scored, with errors, listed in shards that failed, left out.</summary>
/// <param name="ItemsSkipped">Items of done shards an incremental run left out (an earlier run scored them for the same model and labels).</param>
/// <param name="ItemsDone">Items the run is done with (scored + failed + in failed shards + skipped): <see cref="Items"/> once it has finished.</param>
/// <param name="ReusedEmbeddings">Of <paramref name="ItemsScored"/>, the items scored from an earlier run's stored embeddings
/// (<see cref="RunResponse.EmbeddingsFrom"/>): read, decoded and embedded by no backbone in this run.</param>
public sealed record RunProgressResponse(
    int TotalShards, int PendingShards, int LeasedShards, int DoneShards, int FailedShards, long Items, long ItemsScored, long ItemsFailed, long ItemsInFailedShards, long ItemsSkipped = 0, long ItemsDone = 0, long ReusedEmbeddings = 0);
