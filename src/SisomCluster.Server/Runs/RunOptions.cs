using System.ComponentModel.DataAnnotations;

namespace SisomCluster.Server.Runs;

/// <summary>
/// What a new run is given when its request does not say (<see cref="RunCreator"/>): written into the run's row, which
/// the coordinator then follows. The settings keep their <c>Coordinator__</c> names (<c>Coordinator__ShardSize</c>,
/// <c>Coordinator__MaxAttempts</c>) so that existing deployments do not change.
/// </summary>
public sealed class RunOptions
{
    public const string SectionName = "Coordinator";

    /// <summary>Items per shard for directory, manifest and embedding pools (a tar file is always one shard).</summary>
    [Range(1, 10_000_000)]
    public int ShardSize { get; set; } = 4096;

    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;
}
