namespace SisomCluster.Contracts.Http;

/// <param name="Scores">Null when the item was not scored in the run (see <paramref name="Error"/>, or it is not scored yet).</param>
/// <param name="SelectedRank">The item's rank in the run's selection for labeling, when it was selected.</param>
public sealed record ItemDetailResponse(
    string ItemId,
    Guid RunId,
    string Pool,
    string? Uri,
    string? Source,
    DateTimeOffset? CapturedAt,
    int? Label,
    int? SelectedRank,
    ItemScoresResponse? Scores,
    ItemErrorResponse? Error,
    string Thumbnail);
