using System.ComponentModel.DataAnnotations;

namespace SisomCluster.Server.Coordinator;

/// <summary>Coordinator settings (<c>Coordinator__ShardSize</c>, …).</summary>
public sealed class CoordinatorOptions
{
    public const string SectionName = "Coordinator";

    /// <summary>Items per shard for directory, manifest and embedding pools (a tar file is always one shard).</summary>
    [Range(1, 10_000_000)]
    public int ShardSize { get; set; } = 4096;

    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How often expired leases are looked for.</summary>
    [Range(1, 3600)]
    public int LeaseCheckSeconds { get; set; } = 10;
}
