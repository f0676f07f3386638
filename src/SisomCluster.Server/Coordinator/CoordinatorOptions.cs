using System.ComponentModel.DataAnnotations;

namespace SisomCluster.Server.Coordinator;

/// <summary>
/// Coordinator settings (<c>Coordinator__LeaseCheckSeconds</c>, <c>Coordinator__RepublishSeconds</c>). <c>Coordinator__ShardSize</c> and
/// <c>Coordinator__MaxAttempts</c> are written into each run when it is created: <see cref="Runs.RunOptions"/>.
/// </summary>
public sealed class CoordinatorOptions
{
    public const string SectionName = "Coordinator";

    /// <summary>
    /// How often pending runs are looked for even without an announcement (<c>RunAnnouncements</c>: a run request wakes the
    /// launcher at once; the poll covers announcements sent while no coordinator listened).
    /// </summary>
    [Range(1, 3600)]
    public int LaunchPollSeconds { get; set; } = 1;

    /// <summary>How often expired leases are looked for.</summary>
    [Range(1, 3600)]
    public int LeaseCheckSeconds { get; set; } = 10;

    /// <summary>
    /// A pending shard published longer ago than this is published again by the sweep (its message was lost: dropped
    /// before any worker declared the queue, or parked in an error queue). No attempt is spent.
    /// </summary>
    [Range(1, 86400)]
    public int RepublishSeconds { get; set; } = 120;
}
