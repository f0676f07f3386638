using System.Diagnostics;

namespace SisomCluster.Server.Telemetry;

/// <summary>The names SisomCluster publishes traces and metrics under, and the worker's <see cref="ActivitySource"/>.</summary>
public static class SisomTelemetry
{
    /// <summary>The worker's spans: one per shard (<c>score shard</c>) with a child per pipeline stage.</summary>
    public const string WorkerSourceName = "SisomCluster.Worker";

    /// <summary>The meter of every SisomCluster instrument (<see cref="SisomMetrics"/>).</summary>
    public const string MeterName = "SisomCluster";

    /// <summary>MassTransit 8's ActivitySource and Meter (consume, publish, receive spans; its messaging metrics).</summary>
    public const string MassTransitName = "MassTransit";

    public const string ShardSpanName = "score shard";

    /// <summary>Span attributes.</summary>
    public const string RunTag = "sisom.run";
    public const string ShardTag = "sisom.shard";
    public const string AttemptTag = "sisom.attempt";
    public const string ItemsTag = "sisom.items";
    public const string ItemsFailedTag = "sisom.items_failed";
    public const string BusySecondsTag = "sisom.stage.busy_seconds";
    public const string BatchesTag = "sisom.stage.batches";

    /// <summary>A static source, as the .NET guidance has it: spans cost nothing until a listener (OpenTelemetry, a test) subscribes.</summary>
    public static ActivitySource Worker { get; } = new(WorkerSourceName);
}
