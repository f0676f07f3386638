namespace SisomCluster.Core.States;

/// <summary>
/// The intermediate layer states of a set of items (SISOM.md §3.2): one row per item, the layers' states side by
/// side in <see cref="Layers"/> order (width Σ C_j). They come from an augmented model; Core only checks and joins them.
/// </summary>
public sealed class LayerStates
{
    public LayerStates(IReadOnlyList<StateLayer> layers, FeatureMatrix values)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(values);
        Validate(layers);
        int width = layers.Sum(l => l.Width);
        if (values.Columns != width)
        {
            throw new ArgumentException($"layer states have {values.Columns} columns, the layers ({string.Join(", ", layers.Select(l => $"{l.Name}: {l.Width}"))}) need {width}.", nameof(values));
        }

        values.EnsureFinite("layer states");
        Layers = layers;
        Values = values;
    }

    public IReadOnlyList<StateLayer> Layers { get; }

    /// <summary>Rows × Σ C_j states, each in [0, 1].</summary>
    public FeatureMatrix Values { get; }

    public int Rows => Values.Rows;

    public int Width => Values.Columns;

    internal static void Validate(IReadOnlyList<StateLayer> layers)
    {
        foreach (StateLayer layer in layers)
        {
            if (string.IsNullOrEmpty(layer.Name) || layer.Width < 1)
            {
                throw new ArgumentException($"Layer '{layer.Name}' needs a name and a width >= 1.", nameof(layers));
            }

            NeuronStates.ValidateAlpha(layer.Alpha);
        }
    }

    /// <summary>True when both lists name the same layers, with the same α and width, in the same order.</summary>
    public static bool SameLayers(IReadOnlyList<StateLayer> a, IReadOnlyList<StateLayer> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.SequenceEqual(b);
    }
}
