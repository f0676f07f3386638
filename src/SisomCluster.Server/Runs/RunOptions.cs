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
    public int ShardSize { get; set; } = StartRunRequest.DefaultShardSize;

    /// <summary>
    /// Items per shard for pools of stored embeddings (<c>Coordinator__EmbeddingShardSize</c>), which need no decoding or
    /// backbone: an item is a row of floats, so a shard of <see cref="ShardSize"/> items is milliseconds of work and the
    /// per-shard costs (message, lease, commit transaction, aggregates, progress event) weigh. Re-scoring 10⁶ × 512-d
    /// stored embeddings on the 2-core machine: 20.3 s with shards of 4 096, 19.0 s with 16 384, 17.4–17.8 s with 65 536
    /// (docs/results/bench-rescore-noknn.md, "Shard size").
    /// </summary>
    [Range(1, StartRunRequest.MaxShardSize)]
    public int EmbeddingShardSize { get; set; } = StartRunRequest.DefaultEmbeddingShardSize;

    /// <summary>The shard size a run on a pool of <paramref name="sourceKind"/> gets when its request does not say.</summary>
    public int ShardSizeFor(string? sourceKind) =>
        string.Equals(sourceKind, Inference.Pools.EmbeddingsPoolSource.KindName, StringComparison.OrdinalIgnoreCase) ? EmbeddingShardSize : ShardSize;

    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// Selection candidates per selected item (<c>Coordinator__CandidateFactor</c>), written into the run: each shard commit
    /// keeps budget × factor of them and the finaliser reads the top budget × factor (README "Per-shard aggregates").
    /// </summary>
    [Range(1, 100)]
    public int CandidateFactor { get; set; } = Data.Runs.Run.DefaultCandidateFactor;
}
