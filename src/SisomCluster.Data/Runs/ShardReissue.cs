namespace SisomCluster.Data.Runs;

/// <param name="Attempt">The shard's attempt after the call (the new one when <see cref="ShardReissueStatus.Reissued"/>).</param>
public sealed record ShardReissue(ShardReissueStatus Status, int Attempt);
