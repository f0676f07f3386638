namespace SisomCluster.Contracts.Http;

/// <summary>
/// The item's SISOM result (names as in SISOM.md). <c>d_in</c> is "Infinity" when the predicted class has no reference.
/// Filled from the stored row by the server's one mapping (Server/Api/Items/ItemScoreMapping); its JSON fields are the
/// <c>item_scores</c> columns (a test holds them to it). <c>knn</c> is null when the run's context has no KNN bank.
/// </summary>
public sealed record ItemScoresResponse(
    Guid ContextId,
    int Predicted,
    string? NearestReference,
    double DIn,
    double? DOut,
    double Ratio,
    double Energy,
    double Sisom,
    double Sisome,
    double? Knn,
    double Msp,
    double MaxLogit,
    double Entropy,
    double Margin,
    ItemFlagsResponse Flags,
    DateTimeOffset ScoredAt);
