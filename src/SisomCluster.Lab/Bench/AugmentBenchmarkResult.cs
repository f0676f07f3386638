namespace SisomCluster.Lab.Bench;

/// <summary>`sisom bench augment`: plain vs augmented inference time per image at one batch size.</summary>
public sealed record AugmentBenchmarkResult(int BatchSize, int Images, int Rounds, IReadOnlyList<string> Layers, double PlainMsPerImage, double AugmentedMsPerImage)
{
    public string Id => $"augment.b{BatchSize}";

    /// <summary>What the appended backward pass and states add per image.</summary>
    public double BackwardMsPerImage => AugmentedMsPerImage - PlainMsPerImage;

    /// <summary>Backward cost over forward cost (the budget on CPU: ≤ 2.5).</summary>
    public double BackwardOverForward => BackwardMsPerImage / PlainMsPerImage;
}
