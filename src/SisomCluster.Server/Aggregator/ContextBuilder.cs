using SisomCluster.Core;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;

namespace SisomCluster.Server.Aggregator;

/// <summary>
/// Builds a run's scoring context from its labeled items (ARCHITECTURE.md §3 step 0): the reference set is
/// every labeled item; the head is the model's own or one fitted on these features; then states,
/// margins, leave-one-out statistics, α (automatic unless fixed) and thresholds at q (SISOM.md §3.4–§8.1).
/// </summary>
public static class ContextBuilder
{
    /// <param name="LayerStates">The item's layer states (Σ C_j) when the model is augmented (SISOM.md §3.2); null otherwise.</param>
    public sealed record LabeledFeatures(string ItemId, int Label, float[] Features, float[]? LayerStates = null);

    /// <param name="layers">The model's layer states, in order; empty or null for the penultimate layer alone.</param>
    public static (ScoringContext Context, IReadOnlyList<string> ReferenceIds, FittedHead? Fitted) Build(
        IReadOnlyList<LabeledFeatures> labeled,
        int classCount,
        LinearHead? modelHead,
        ScoringContextOptions options,
        IReadOnlyList<StateLayer>? layers = null)
    {
        ArgumentNullException.ThrowIfNull(labeled);
        if (labeled.Count == 0)
        {
            throw new ArgumentException("The pool has no labeled items with features: import labels first (sisom labels import).", nameof(labeled));
        }

        // Item-id order: every worker loads the reference set in this order, so ties break the same way everywhere.
        LabeledFeatures[] ordered = labeled.OrderBy(l => l.ItemId, StringComparer.Ordinal).ToArray();
        int d = ordered[0].Features.Length;
        var data = new float[ordered.Length * d];
        for (int i = 0; i < ordered.Length; i++)
        {
            if (ordered[i].Features.Length != d)
            {
                throw new ArgumentException($"Item '{ordered[i].ItemId}' has {ordered[i].Features.Length} features, others have {d}.", nameof(labeled));
            }

            ordered[i].Features.CopyTo(data, i * d);
        }

        var features = new FeatureMatrix(data, ordered.Length, d);
        int[] labels = ordered.Select(l => l.Label).ToArray();
        FittedHead? fitted = null;
        LinearHead head = modelHead ?? (fitted = LogisticRegressionFitter.Fit(features, labels, classCount)).Head;
        ScoringContext context = ScoringContext.Build(head, features, labels, options, ReferenceLayerStates(ordered, layers));
        return (context, ordered.Select(l => l.ItemId).ToArray(), fitted);
    }

    private static LayerStates? ReferenceLayerStates(LabeledFeatures[] ordered, IReadOnlyList<StateLayer>? layers)
    {
        if (layers is null || layers.Count == 0)
        {
            return null;
        }

        int width = layers.Sum(l => l.Width);
        var data = new float[ordered.Length * width];
        for (int i = 0; i < ordered.Length; i++)
        {
            if (ordered[i].LayerStates is not { } states || states.Length != width)
            {
                throw new ArgumentException($"Labeled item '{ordered[i].ItemId}' has no layer states of width {width}: a multi-layer model needs the labeled items' images, not stored embeddings.", nameof(ordered));
            }

            states.CopyTo(data, i * width);
        }

        return new LayerStates(layers, new FeatureMatrix(data, ordered.Length, width));
    }
}
