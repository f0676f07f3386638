using SisomCluster.Core;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Reference;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using SisomCluster.Server.Scoring;

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

    /// <summary>What <see cref="Build(IReadOnlyList{LabeledFeatures}, int, LinearHead?, ScoringContextOptions, IReadOnlyList{StateLayer}?, PreviousReference?)"/> made.</summary>
    /// <param name="Kept">Reference items whose margins and leave-one-out neighbours were carried from the previous version (0: computed from scratch).</param>
    /// <param name="Features">The reference items' features h in <paramref name="ReferenceIds"/> order: stored with the context even when
    /// it has no KNN bank (<see cref="ScoringContextOptions.ComputeKnn"/> false), for the next version and the workers' labeled items.</param>
    public sealed record Built(ScoringContext Context, IReadOnlyList<string> ReferenceIds, FittedHead? Fitted, int Kept, FeatureMatrix Features);

    /// <param name="layers">The model's layer states, in order; empty or null for the penultimate layer alone.</param>
    public static (ScoringContext Context, IReadOnlyList<string> ReferenceIds, FittedHead? Fitted) Build(
        IReadOnlyList<LabeledFeatures> labeled,
        int classCount,
        LinearHead? modelHead,
        ScoringContextOptions options,
        IReadOnlyList<StateLayer>? layers = null)
    {
        Built built = Build(labeled, classCount, modelHead, options, layers, previous: null);
        return (built.Context, built.ReferenceIds, built.Fitted);
    }

    /// <summary>
    /// As above; with <paramref name="previous"/> (the newest stored context of the same pool and model) whose states were
    /// computed with the same head and layers, the margins and leave-one-out neighbours of the items kept unchanged (same id,
    /// label and features) are updated for the added and removed ones (<see cref="ReferenceState.Update"/>) instead of
    /// recomputed. A head fitted by the system changes with the labels, and then every state moves: nothing is reused.
    /// </summary>
    public static Built Build(
        IReadOnlyList<LabeledFeatures> labeled,
        int classCount,
        LinearHead? modelHead,
        ScoringContextOptions options,
        IReadOnlyList<StateLayer>? layers,
        PreviousReference? previous)
    {
        ArgumentNullException.ThrowIfNull(options);
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
        LayerStates? layerStates = ReferenceLayerStates(ordered, layers);
        ReferenceReuse? reuse = Reuse(previous, ordered, head, layers ?? [], options);
        ScoringContext context = ScoringContext.Build(head, features, labels, options, layerStates, reuse);
        return new Built(context, ordered.Select(l => l.ItemId).ToArray(), fitted, reuse?.Kept ?? 0, features);
    }

    /// <summary>The previous version's states and the index of each kept item, when its states hold for this one; else null.</summary>
    private static ReferenceReuse? Reuse(PreviousReference? previous, LabeledFeatures[] ordered, LinearHead head, IReadOnlyList<StateLayer> layers, ScoringContextOptions options)
    {
        if (previous is null || previous.States.Count == 0 || options.Precision != ScoringPrecision.Float32
            || !previous.Head.Weights.AsSpan().SequenceEqual(head.Weights) || !previous.Head.Bias.AsSpan().SequenceEqual(head.Bias)
            || previous.Layers.Count != layers.Count || (layers.Count > 0 && !LayerStates.SameLayers(previous.Layers, layers))
            || previous.Features.Columns != ordered[0].Features.Length)
        {
            return null;
        }

        var previousIndex = new int[ordered.Length];
        for (int i = 0; i < ordered.Length; i++)
        {
            int p = previous.IndexOf(ordered[i].ItemId);
            bool same = p >= 0 && previous.Labels[p] == ordered[i].Label && previous.Features.Row(p).SequenceEqual(ordered[i].Features)
                && (previous.LayerStates is null || (ordered[i].LayerStates is { } tail && previous.LayerStates.Row(p).SequenceEqual(tail)));
            previousIndex[i] = same ? p : -1;
        }

        return new ReferenceReuse(previous.States, previousIndex);
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
