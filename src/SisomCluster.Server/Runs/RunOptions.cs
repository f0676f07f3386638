using System.ComponentModel.DataAnnotations;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Server.Runs;

/// <summary>
/// What a new run is given when its request does not say (<see cref="RunCreator"/>): written into the run's row, which
/// the coordinator then follows. The settings keep their <c>Coordinator__</c> names (<c>Coordinator__ShardSize</c>,
/// <c>Coordinator__MaxAttempts</c>) so that existing deployments do not change.
/// </summary>
public sealed class RunOptions
{
    public const string SectionName = "Coordinator";

    /// <summary>
    /// Items per shard for directory, manifest and embedding pools (a tar file is always one shard); at most
    /// <see cref="StartRunRequest.MaxShardSize"/> (why: see there), the bound a request's <c>shard_size</c> has too.
    /// </summary>
    [Range(1, StartRunRequest.MaxShardSize)]
    public int ShardSize { get; set; } = 4096;

    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// Selection candidates per selected item (<c>Coordinator__CandidateFactor</c>), written into the run: each shard commit
    /// keeps budget × factor of them and the finaliser reads the top budget × factor (README "Per-shard aggregates").
    /// </summary>
    [Range(1, 100)]
    public int CandidateFactor { get; set; } = Data.Runs.Run.DefaultCandidateFactor;
}
