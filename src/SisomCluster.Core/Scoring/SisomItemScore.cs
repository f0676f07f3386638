using SisomCluster.Core.Baselines;

namespace SisomCluster.Core.Scoring;

/// <summary>
/// Every score <see cref="SisomScorer.Score"/> gives one item (SISOM.md §4–§7): the SISOM quantities and the logit
/// baselines of the same forward pass. This is the one per-item result the CLI, the worker and storage read; a new
/// score is added here (or to <see cref="LogitBaselines"/>, which this carries whole) and then once in each of the
/// storage row table, the EF entity and the API response (ARCHITECTURE.md §6).
/// </summary>
/// <param name="Predicted">ŷ = argmax l (lowest index on ties).</param>
/// <param name="NearestReference">Index into the reference set of the nearest reference of class ŷ; −1 when there is none.</param>
/// <param name="DIn">Distance to the nearest reference of class ŷ; +∞ when there is none.</param>
/// <param name="DOut">The nearest reference's margin m(t); NaN (undefined) when there is no reference of class ŷ.</param>
/// <param name="Ratio">r = d_in / d_out (SISOM.md §5); +∞ without a reference.</param>
/// <param name="Baselines">MSP, MaxLogit, energy E, entropy and margin from the logits (SISOM.md §7).</param>
/// <param name="OodSisom">s &gt; τ, or no reference of the predicted class (novel by definition).</param>
/// <param name="NoReference">The predicted class has no reference item: r is +∞ and the item is flagged.</param>
public readonly record struct SisomItemScore(
    int Predicted,
    int NearestReference,
    double DIn,
    double DOut,
    double Ratio,
    double Sisom,
    double Sisome,
    LogitBaselines Baselines,
    bool OodSisom,
    bool OodSisome,
    bool NoReference)
{
    /// <summary>E = −logsumexp(l), the energy SISOMe combines with r.</summary>
    public double Energy => Baselines.Energy;
}
