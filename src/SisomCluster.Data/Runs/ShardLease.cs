namespace SisomCluster.Data.Runs;

/// <summary>A worker's hold on one attempt of a shard, with what it needs to start reading.</summary>
public sealed record ShardLease(
    Guid RunId, int ShardId, int Attempt, string Owner, DateTimeOffset ExpiresAt, string Descriptor, int ItemCount);
