namespace SisomCluster.Contracts.Http;

/// <summary>The body of <c>POST /api/v1/runs</c>; every field nullable so that a missing one is named in the 400.</summary>
/// <param name="OodScore">The score that flags OOD and drives drift (<see cref="OodScoreNames"/>); null = <see cref="OodScoreNames.Default"/>.</param>
/// <param name="Incremental">
/// Score only the pool's items that no earlier completed run has scored for the same scoring context (same model version
/// and reference version): a growing pool's new shards or files. The run's scores, thresholds, selection and drift then
/// cover those new items only. Null = false.
/// </param>
/// <param name="EmbeddingsFrom">
/// Re-score an earlier run's stored embeddings instead of running the backbone again: a run id (a completed run of the same
/// pool and model version that stored embeddings, else 400), or <see cref="AutoEmbeddings"/> for the newest such run (none
/// found: every item is embedded). Items the source run holds no embedding for are read and embedded as usual. Null = no reuse.
/// </param>
/// <param name="Knn">
/// Whether the run computes the KNN baseline (SISOM.md §7.1; null = true). False skips the KNN bank's searches in the
/// reference phase and in every shard (re-scoring stored embeddings is then bounded by SISOM alone): items get no
/// <c>knn</c> score and never <c>ood_knn</c>, the run has no KNN threshold, and <see cref="OodScore"/> cannot be
/// <c>knn</c> (null then means <see cref="OodScoreNames.Sisom"/>).
/// </param>
public sealed record StartRunRequest(string? Pool, string? Model, int? Budget, double? Quantile, bool? StoreEmbeddings, int? ShardSize, string? OodScore = null, bool? Incremental = null, string? EmbeddingsFrom = null, bool? Knn = null)
{
    /// <summary>The <see cref="EmbeddingsFrom"/> value that lets the server pick the newest fitting run.</summary>
    public const string AutoEmbeddings = "auto";

    public const string DefaultModel = "resnet18";

    public const double DefaultQuantile = 0.95;

    public const int MaxModelLength = 1024;

    /// <summary>
    /// The largest <c>shard_size</c> (items per shard; a tar file is one shard whatever its size). A shard is one message,
    /// one lease and one transaction: a bigger one holds a worker, its lease and its temp tables longer, loses more work to
    /// a crash and, at 10⁷ items with 512-d embeddings, stages ~20 GB in one transaction. 100 000 items are minutes of
    /// work for a GPU worker and ~200 MB of staged rows with embeddings; the worker streams them in chunks, so its memory
    /// does not grow with the shard. The same bound applies to <c>Coordinator__ShardSize</c>.
    /// </summary>
    public const int MaxShardSize = 100_000;

    /// <summary>The server's <c>shard_size</c> when a request gives none (<c>Coordinator__ShardSize</c>): images, tar shards, manifests.</summary>
    public const int DefaultShardSize = 4096;

    /// <summary>The server's <c>shard_size</c> for pools of stored embeddings when a request gives none (<c>Coordinator__EmbeddingShardSize</c>).</summary>
    public const int DefaultEmbeddingShardSize = 16_384;

    public const int MaxBudget = 10_000_000;

    /// <returns>"field: problem", or null when the request is valid.</returns>
    public string? Validate() =>
        string.IsNullOrWhiteSpace(Pool) ? "pool: required."
        : Model is not null && (Model.Length == 0 || Model.Length > MaxModelLength) ? $"model: give a model name the server knows, such as 'resnet18' (at most {MaxModelLength} characters)."
        : Budget is null ? "budget: required (the number of items to select for labeling)."
        : Budget is < 1 or > MaxBudget ? $"budget: must be between 1 and {MaxBudget}, got {Budget}."
        : Quantile is { } q && !(q > 0 && q <= 1) ? $"quantile: must lie in (0, 1], got {q}."
        : ShardSize is < 1 or > MaxShardSize ? $"shard_size: must be between 1 and {MaxShardSize}, got {ShardSize}."
        : OodScore is not null && !OodScoreNames.All.Contains(OodScore, StringComparer.Ordinal) ? $"ood_score: must be one of {string.Join(", ", OodScoreNames.All)}, got '{(OodScore.Length > 40 ? OodScore[..40] + "…" : OodScore)}'."
        : EmbeddingsFrom is not null && EmbeddingsFrom != AutoEmbeddings && !Guid.TryParseExact(EmbeddingsFrom, "D", out _) ? $"embeddings_from: give a run id (8-4-4-4-12 hex digits) or '{AutoEmbeddings}', got '{(EmbeddingsFrom.Length > 40 ? EmbeddingsFrom[..40] + "…" : EmbeddingsFrom)}'."
        : Knn == false && OodScore == OodScoreNames.Knn ? $"ood_score: 'knn' needs the KNN baseline, which a run with knn: false does not compute; choose {OodScoreNames.Sisom}, {OodScoreNames.Sisome} or {OodScoreNames.Energy}, or drop knn: false."
        : null;

    /// <summary>The run's OOD score: the one asked for, else <see cref="OodScoreNames.Default"/> (<see cref="OodScoreNames.Sisom"/> without KNN).</summary>
    public string OodScoreOrDefault() => OodScore ?? (Knn == false ? OodScoreNames.Sisom : OodScoreNames.Default);
}
