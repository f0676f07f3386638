namespace SisomCluster.Data.Results;

public enum ShardCommitStatus
{
    /// <summary>The rows were written and the shard is now done.</summary>
    Committed,

    /// <summary>The shard was already done (a redelivered message): nothing was written. Ack and move on.</summary>
    AlreadyDone,

    /// <summary>The shard was re-issued since this attempt started: nothing was written; the newer attempt owns it.</summary>
    StaleAttempt,

    /// <summary>The shard ran out of attempts and is failed: nothing was written, so a finished run's results do not move.</summary>
    ShardFailed,

    /// <summary>No such shard (its run was deleted): nothing was written.</summary>
    UnknownShard,
}
