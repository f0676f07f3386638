namespace SisomCluster.Lab.Bench;

/// <summary>What <see cref="ChaosBenchmark"/> runs and where.</summary>
public sealed record ChaosBenchmarkSettings
{
    public required string ServerPath { get; init; }

    /// <summary><c>deploy/local/services.sh</c>: it starts and stops the private PostgreSQL and RabbitMQ.</summary>
    public required string ServicesScript { get; init; }

    /// <summary>Where the pool and the server logs go.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>The private PostgreSQL's port (never the shared 55432: it is stopped and started).</summary>
    public int PostgresPort { get; init; } = 55498;

    /// <summary>The private RabbitMQ's AMQP port (never the shared 5672); its management port is this + 10000.</summary>
    public int RabbitMqPort { get; init; } = 5698;

    public IReadOnlyList<ChaosFault> Faults { get; init; } = Enum.GetValues<ChaosFault>();

    public int Repeat { get; init; } = 10;

    /// <summary>How long RabbitMQ and PostgreSQL stay down.</summary>
    public TimeSpan Down { get; init; } = TimeSpan.FromSeconds(30);

    public int Items { get; init; } = 2000;

    public int Labeled { get; init; } = 500;

    public int Dimension { get; init; } = 64;

    public int ShardSize { get; init; } = 100;

    public int MaxAttempts { get; init; } = 3;

    /// <summary><c>Worker__LeaseSeconds</c>: a killed worker's shard is re-issued this long after its last heartbeat.</summary>
    public int LeaseSeconds { get; init; } = 10;

    /// <summary>
    /// <c>Coordinator__RepublishSeconds</c>: a pending shard published longer ago is published again (lost messages:
    /// the purge). Small here so a lost message costs seconds, not the default two minutes.
    /// </summary>
    public int RepublishSeconds { get; init; } = 10;

    /// <summary>How long one case may take after its fault ended before its run counts as stuck.</summary>
    public TimeSpan CaseTimeout { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>Leave the private PostgreSQL and RabbitMQ running afterwards (faster reruns).</summary>
    public bool KeepServices { get; init; }
}
