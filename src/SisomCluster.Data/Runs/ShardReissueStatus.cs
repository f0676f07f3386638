namespace SisomCluster.Data.Runs;

public enum ShardReissueStatus
{
    /// <summary>Back to pending with the next attempt: publish <c>ScoreShard</c> with <see cref="ShardReissue.Attempt"/>.</summary>
    Reissued,

    /// <summary>The attempt was the last one (max_attempts): the shard is failed and will not run again.</summary>
    Failed,

    /// <summary>
    /// Nothing changed: the shard is done or failed, its attempt moved on, or its lease was renewed since it was seen
    /// expired (a slow heartbeat, not a dead worker).
    /// </summary>
    NotReissued,
}
