namespace SisomCluster.Contracts.Http;

/// <summary>
/// The body of <c>POST /api/v1/rounds</c>: one active-learning round (labels in, a run, its selection out). Every field
/// nullable so that a missing one is named in the 400.
/// </summary>
/// <param name="RoundId">The caller's id (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>; at most 100): asking again with it
/// returns the existing round and changes nothing. Null: the server makes one.</param>
/// <param name="Labels">The label file's text, <c>id,label</c> lines (as <c>POST /pools/{pool}/labels</c> takes them); may be empty.</param>
/// <param name="ClassNames">The class names in label order, to accept names in <paramref name="Labels"/>.</param>
public sealed record StartRoundRequest(
    string? RoundId,
    string? Pool,
    string? Labels,
    int? Budget,
    IReadOnlyList<string>? ClassNames = null,
    string? Model = null,
    double? Quantile = null,
    string? OodScore = null,
    int? ShardSize = null,
    bool? Knn = null)
{
    public const int MaxRoundIdLength = 100;

    /// <returns>"field: problem", or null when the request is valid.</returns>
    public string? Validate() =>
        RoundId is not null && !IsRoundId(RoundId) ? $"round_id: use 1 to {MaxRoundIdLength} letters, digits, '.', '_' or '-', got '{(RoundId.Length > 40 ? RoundId[..40] + "…" : RoundId)}'."
        : Labels is null ? "labels: required (the label file's text, id,label lines; empty for a round without new labels)."
        : AsRunRequest().Validate();

    /// <summary>The round's run as a run request (<see cref="Knn"/> as in <see cref="StartRunRequest.Knn"/>).</summary>
    public StartRunRequest AsRunRequest() => new(Pool, Model, Budget, Quantile, StoreEmbeddings: false, ShardSize, OodScore, Knn: Knn);

    public static bool IsRoundId(string id) =>
        id.Length is > 0 and <= MaxRoundIdLength
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
