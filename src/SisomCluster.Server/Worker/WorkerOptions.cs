using System.ComponentModel.DataAnnotations;

namespace SisomCluster.Server.Worker;

/// <summary>
/// Worker settings (<c>Worker__BatchSize</c> and so on from the environment or Helm values). The model settings in the
/// same section (<c>Worker__Provider</c>, <c>Worker__IntraOpThreads</c>, <c>Worker__ModelCache</c>) are <see cref="Models.ModelOptions"/>.
/// </summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>
    /// Shards processed at once by this process. Two by default: one is scored while the other's rows are COPYed and
    /// committed, so the cores are not idle while PostgreSQL ingests (bench rescore, 3 × 10⁵ stored embeddings, one worker:
    /// scoring phase 9.1 s with 1, 7.6 s with 2; docs/results/bench-rescore-noknn.md).
    /// </summary>
    [Range(1, 64)]
    public int Concurrency { get; set; } = 2;

    /// <summary>Messages RabbitMQ delivers unacknowledged to this process (at least <see cref="Concurrency"/>, or some slots idle).</summary>
    [Range(1, 256)]
    public int Prefetch { get; set; } = 2;

    [Range(1, 1024)]
    public int BatchSize { get; set; } = 32;

    [Range(0, 256)]
    public int DecodeThreads { get; set; }

    /// <summary>How long a lease lasts without a heartbeat; heartbeats come every third of it.</summary>
    [Range(2, 86_400)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>This worker's name in leases; default: host name and process id.</summary>
    public string? WorkerId { get; set; }
}
