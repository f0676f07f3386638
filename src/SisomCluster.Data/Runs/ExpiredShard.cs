namespace SisomCluster.Data.Runs;

/// <summary>A leased shard whose lease ran out: its worker died or stalled (<see cref="ShardLeases.ExpiredAsync"/>).</summary>
public sealed record ExpiredShard(Guid RunId, int ShardId, int Attempt, string? LeaseOwner, DateTimeOffset LeaseExpiresAt);
