namespace SisomCluster.Server.Worker;

/// <summary>One item's results, as they are stored in <c>item_scores</c>.</summary>
public sealed record ScoredItem(
    string Id,
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
    bool OodSisom,
    bool OodSisome,
    bool NoReference,
    float[]? Embedding);
