using System.ComponentModel.DataAnnotations;

namespace SisomCluster.Server.Coordinator;

/// <summary>
/// Coordinator settings (<c>Coordinator__LeaseCheckSeconds</c>). <c>Coordinator__ShardSize</c> and
/// <c>Coordinator__MaxAttempts</c> are written into each run when it is created: <see cref="Runs.RunOptions"/>.
/// </summary>
public sealed class CoordinatorOptions
{
    public const string SectionName = "Coordinator";

    /// <summary>How often expired leases are looked for.</summary>
    [Range(1, 3600)]
    public int LeaseCheckSeconds { get; set; } = 10;
}
