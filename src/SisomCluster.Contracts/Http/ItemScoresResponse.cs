namespace SisomCluster.Contracts.Http;

/// <summary>The item's SISOM result (names as in SISOM.md). <c>d_in</c> is "Infinity" when the predicted class has no reference.</summary>
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
    double Msp,
    double MaxLogit,
    double Entropy,
    double Margin,
    ItemFlagsResponse Flags,
    DateTimeOffset ScoredAt);
