namespace SisomCluster.Data.Runs;

/// <param name="Attempt">The shard's attempt after the call (the new one when <see cref="ShardReissueStatus.Reissued"/>).</param>
public sealed record ShardReissue(ShardReissueStatus Status, int Attempt)
{
    /// <summary>The failed shard's <c>last_error</c> (its worker's reason, or the sweep's); null unless <see cref="ShardReissueStatus.Failed"/>.</summary>
    public string? LastError { get; init; }
}
