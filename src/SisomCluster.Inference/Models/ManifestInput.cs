namespace SisomCluster.Inference.Models;

/// <summary>The model input and how pixels become it (ARCHITECTURE.md §5).</summary>
public sealed record ManifestInput
{
    /// <summary>The ONNX graph input name.</summary>
    public required string Name { get; init; }

    /// <summary>Only "NCHW" is supported (planar, batch first).</summary>
    public string Layout { get; init; } = "NCHW";

    public required int Width { get; init; }

    public required int Height { get; init; }

    /// <summary>"rgb", "bgr" (3 channels) or "grey" (1 channel).</summary>
    public string Colour { get; init; } = "rgb";

    /// <summary>Multiplies raw 0..255 pixel values (1/255 for [0, 1] models, 1 for raw).</summary>
    public double Scale { get; init; } = 1.0 / 255;

    /// <summary>Per-channel mean, in the model's channel order, subtracted after scaling.</summary>
    public IReadOnlyList<double> Mean { get; init; } = [0, 0, 0];

    /// <summary>Per-channel standard deviation, divided last.</summary>
    public IReadOnlyList<double> Std { get; init; } = [1, 1, 1];

    /// <summary>Optional per-pixel mean image (C×H×W float32 .npy beside the manifest), subtracted after scaling.</summary>
    public string? MeanImage { get; init; }

    /// <summary>"iso_crop" (scale the shorter side, centre-crop; ML.NET's default) or "stretch".</summary>
    public string Resize { get; init; } = "iso_crop";

    [System.Text.Json.Serialization.JsonIgnore]
    public int Channels => Colour == "grey" ? 1 : 3;
}
