namespace SisomCluster.Data.Runs;

/// <summary>One scoring pass of a model (and scoring context) over a pool.</summary>
public sealed class Run
{
    public Guid Id { get; set; }

    public Guid PoolId { get; set; }

    public required string ModelName { get; set; }

    /// <summary>SHA-256 of the ONNX file + manifest (ARCHITECTURE.md §4).</summary>
    public required string ModelVersion { get; set; }

    /// <summary>Null until the aggregator has built the context the run scores against.</summary>
    public Guid? ContextId { get; set; }

    public RunState State { get; set; } = RunState.Pending;

    public int ShardSize { get; set; }

    /// <summary>After this many attempts a shard is <see cref="ShardState.Failed"/> instead of re-issued.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The ID quantile q of the OOD thresholds.</summary>
    public double Quantile { get; set; }

    public bool StoreEmbeddings { get; set; }

    /// <summary>
    /// The earlier run of the same pool and model whose stored embeddings this run re-scores (no backbone pass for the items
    /// it holds; <see cref="Results.StoredEmbeddings"/>); null when every item is read and embedded. No foreign key: the
    /// source run may be deleted later, and this stays the record of what the run reused.
    /// </summary>
    public Guid? EmbeddingsFrom { get; set; }

    /// <summary>The score whose flag (and threshold) the run's drift, OOD exclusion and OOD rate use: sisom, sisome, knn or energy (SISOM.md §8).</summary>
    public string OodScore { get; set; } = Core.Scoring.OodScores.Default;

    /// <summary>
    /// Whether the run computes the KNN baseline (SISOM.md §7.1). False: its scoring context carries no KNN bank or threshold
    /// (<c>scoring_contexts.knn</c>), its rows have no knn score and never <c>ood_knn</c>, and <see cref="OodScore"/> is not knn.
    /// </summary>
    public bool Knn { get; set; } = true;

    /// <summary>Selection size B: how many items the global selection picks for labeling.</summary>
    public int Budget { get; set; }

    /// <summary>The candidates factor when a request does not say (<c>Coordinator__CandidateFactor</c>'s default).</summary>
    public const int DefaultCandidateFactor = 4;

    /// <summary>
    /// The selection reads the top factor × <see cref="Budget"/> candidates (SISOM.md §8.3), and each shard commit keeps as
    /// many: one value, fixed when the run is created (<c>Coordinator__CandidateFactor</c>), read by the workers and the
    /// finaliser alike, so the shards always keep what the finaliser will ask for.
    /// </summary>
    public int CandidateFactor { get; set; } = DefaultCandidateFactor;

    /// <summary>The run's remaining options as JSON, opaque here (batch size, execution provider, ...).</summary>
    public string Options { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public string? Error { get; set; }
}
