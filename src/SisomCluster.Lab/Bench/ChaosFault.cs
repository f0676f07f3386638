namespace SisomCluster.Lab.Bench;

/// <summary>The faults <c>sisom bench chaos</c> injects into a running cluster (issue 12 §5), in the order it runs them.</summary>
public enum ChaosFault
{
    /// <summary>SIGKILL of a worker that holds a shard's lease.</summary>
    WorkerKill,

    /// <summary>The private RabbitMQ stopped for the down time, then started again.</summary>
    RabbitMqDown,

    /// <summary>The private PostgreSQL stopped for the down time, then started again.</summary>
    PostgresDown,

    /// <summary>The score-shard queue purged mid-run: every queued ScoreShard is lost.</summary>
    QueuePurge,

    /// <summary>Every ScoreShard delivered twice: the harness sends a copy of each one the bus carries to the queue.</summary>
    DuplicateDelivery,

    /// <summary>One shard kills (SIGKILL) every worker that leases it, so it fails after its attempts.</summary>
    PoisonShard,

    /// <summary>The api+coordinator+aggregator process killed (SIGKILL) mid-run and started again.</summary>
    CoordinatorRestart,
}
