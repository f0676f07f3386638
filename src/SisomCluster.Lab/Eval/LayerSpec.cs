using SisomCluster.Inference.Augmentation;

namespace SisomCluster.Lab.Eval;

/// <summary>
/// One layer of <c>eval ood --layers</c>: <c>TENSOR:ALPHA</c> (α fixed, as <c>sisom model augment --layer</c>) or
/// <c>TENSOR:auto</c> (α chosen per seed by minimal r_avg of the layer's states over <c>--layer-alpha-grid</c>).
/// </summary>
internal sealed record LayerSpec(string Tensor, double? Alpha)
{
    public const string Auto = "auto";

    public static LayerSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.LastIndexOf(':');
        if (colon > 0 && string.Equals(text[(colon + 1)..], Auto, StringComparison.OrdinalIgnoreCase))
        {
            return new LayerSpec(text[..colon], null);
        }

        LayerChoice fixedAlpha = LayerChoice.Parse(text);
        return new LayerSpec(fixedAlpha.Tensor, fixedAlpha.Alpha);
    }
}
