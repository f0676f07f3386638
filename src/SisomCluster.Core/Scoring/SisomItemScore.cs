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
/// <param name="Knn">The KNN score (SISOM.md §7.1): k-th nearest distance of the L2-normalised h among the reference features; NaN when the context has no KNN bank.</param>
/// <param name="Baselines">MSP, MaxLogit, energy E, entropy and margin from the logits (SISOM.md §7).</param>
/// <param name="OodSisom">s &gt; τ, or no reference of the predicted class (novel by definition).</param>
/// <param name="OodKnn">KNN &gt; its own τ (leave-one-out on T). Class-agnostic, so <paramref name="NoReference"/> does not set it.</param>
/// <param name="OodEnergy">E &gt; its own τ (the reference items' energies).</param>
/// <param name="NoReference">The predicted class has no reference item: r is +∞ and the item is flagged.</param>
/// <param name="IsReference">The item is itself a member of T and was scored with itself left out (SISOM.md §5): its scores are leave-one-out ones, kept apart from the pool's in drift and histograms.</param>
public readonly record struct SisomItemScore(
    int Predicted,
    int NearestReference,
    double DIn,
    double DOut,
    double Ratio,
    double Sisom,
    double Sisome,
    double Knn,
    LogitBaselines Baselines,
    bool OodSisom,
    bool OodSisome,
    bool OodKnn,
    bool OodEnergy,
    bool NoReference,
    bool IsReference)
{
    /// <summary>E = −logsumexp(l), the energy SISOMe combines with r.</summary>
    public double Energy => Baselines.Energy;
}
