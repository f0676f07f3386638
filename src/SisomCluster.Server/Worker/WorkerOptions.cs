using System.ComponentModel.DataAnnotations;
using SisomCluster.Inference.Extraction;

namespace SisomCluster.Server.Worker;

/// <summary>Worker settings (<c>Worker__BatchSize</c> and so on from the environment or Helm values).</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>Shards processed at once by this process.</summary>
    [Range(1, 64)]
    public int Concurrency { get; set; } = 1;

    /// <summary>Messages RabbitMQ delivers ahead of time.</summary>
    [Range(1, 256)]
    public int Prefetch { get; set; } = 1;

    [Range(1, 1024)]
    public int BatchSize { get; set; } = 32;

    [Range(0, 256)]
    public int DecodeThreads { get; set; }

    [Range(0, 256)]
    public int IntraOpThreads { get; set; }

    public ExecutionProvider Provider { get; set; } = ExecutionProvider.Auto;

    /// <summary>How long a lease lasts without a heartbeat; heartbeats come every third of it.</summary>
    [Range(2, 86_400)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>Where models are prepared (the default ResNet-18's dynamic-batch copy).</summary>
    public string ModelCache { get; set; } = Path.Combine(Path.GetTempPath(), "sisom-models");

    /// <summary>This worker's name in leases; default: host name and process id.</summary>
    public string? WorkerId { get; set; }
}
