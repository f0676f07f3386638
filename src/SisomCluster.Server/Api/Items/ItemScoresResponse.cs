using SisomCluster.Data.Results;

namespace SisomCluster.Server.Api.Items;

/// <summary>The item's SISOM result (names as in SISOM.md). <c>d_in</c> is "Infinity" when the predicted class has no reference.</summary>
internal sealed record ItemScoresResponse(
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
    DateTimeOffset ScoredAt)
{
    public static ItemScoresResponse From(ItemScore s) => new(
        s.ContextId, s.Predicted, s.NearestReference, s.DIn, s.DOut, s.Ratio, s.Energy, s.Sisom, s.Sisome, s.Msp, s.MaxLogit, s.Entropy, s.Margin,
        new ItemFlagsResponse(s.OodSisom, s.OodSisome, s.NoReference), s.ScoredAt);
}
