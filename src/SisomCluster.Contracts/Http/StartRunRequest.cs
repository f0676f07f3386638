namespace SisomCluster.Contracts.Http;

/// <summary>The body of <c>POST /api/v1/runs</c>; every field nullable so that a missing one is named in the 400.</summary>
public sealed record StartRunRequest(string? Pool, string? Model, int? Budget, double? Quantile, bool? StoreEmbeddings, int? ShardSize)
{
    public const string DefaultModel = "resnet18";

    public const double DefaultQuantile = 0.95;

    public const int MaxModelLength = 1024;

    public const int MaxShardSize = 10_000_000;

    public const int MaxBudget = 10_000_000;

    /// <returns>"field: problem", or null when the request is valid.</returns>
    public string? Validate() =>
        string.IsNullOrWhiteSpace(Pool) ? "pool: required."
        : Model is not null && (Model.Length == 0 || Model.Length > MaxModelLength) ? $"model: give a model name the server knows, such as 'resnet18' (at most {MaxModelLength} characters)."
        : Budget is null ? "budget: required (the number of items to select for labeling)."
        : Budget is < 1 or > MaxBudget ? $"budget: must be between 1 and {MaxBudget}, got {Budget}."
        : Quantile is { } q && !(q > 0 && q <= 1) ? $"quantile: must lie in (0, 1], got {q}."
        : ShardSize is < 1 or > MaxShardSize ? $"shard_size: must be between 1 and {MaxShardSize}, got {ShardSize}."
        : null;
}
