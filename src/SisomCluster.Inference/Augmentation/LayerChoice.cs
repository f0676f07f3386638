using System.Globalization;

namespace SisomCluster.Inference.Augmentation;

/// <summary>A layer tensor whose state s_j = σ(α_j · mean_hw(o_j) ⊙ mean_hw(∂L/∂o_j)) an augmented model outputs (SISOM.md §3.2).</summary>
public sealed record LayerChoice(string Tensor, double Alpha)
{
    /// <summary>Parses <c>TENSOR:ALPHA</c>; the last ':' separates them, so tensor names may contain ':'.</summary>
    public static LayerChoice Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new FormatException($"--layer '{text}': expected TENSOR:ALPHA, e.g. /layer3/Relu_output_0:1000.");
        }

        string alphaText = text[(colon + 1)..];
        if (!double.TryParse(alphaText, NumberStyles.Float, CultureInfo.InvariantCulture, out double alpha) || !(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new FormatException($"--layer '{text}': alpha '{alphaText}' must be a positive finite number.");
        }

        return new LayerChoice(text[..colon], alpha);
    }
}
