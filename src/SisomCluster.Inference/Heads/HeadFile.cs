using System.Text.Json;
using SisomCluster.Core.States;

namespace SisomCluster.Inference.Heads;

/// <summary>
/// A fitted linear head as JSON (format <c>sisom-head/1</c>): W (K×D), b (K) and how well it fits.
/// This is where SISOM's W and b come from when the backbone has no classifier (SISOM.md §2).
/// </summary>
public sealed record HeadFile
{
    public const string FormatName = "sisom-head/1";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public string Format { get; init; } = FormatName;

    public required int ClassCount { get; init; }

    public required int FeatureDimension { get; init; }

    /// <summary>W as K rows of D values.</summary>
    public required double[][] Weights { get; init; }

    public required double[] Bias { get; init; }

    public double? L2 { get; init; }

    public double? TrainingAccuracy { get; init; }

    public double? HeldOutAccuracy { get; init; }

    public int? TrainingCount { get; init; }

    public int? HeldOutCount { get; init; }

    /// <summary>Version of the backbone the head was fitted on, when known.</summary>
    public string? ModelVersion { get; init; }

    public LinearHead ToLinearHead()
    {
        var w = new double[ClassCount * FeatureDimension];
        for (int k = 0; k < ClassCount; k++)
        {
            Weights[k].CopyTo(w, k * FeatureDimension);
        }

        return new LinearHead(w, Bias, ClassCount, FeatureDimension);
    }

    public static HeadFile FromLinearHead(LinearHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return new HeadFile
        {
            ClassCount = head.ClassCount,
            FeatureDimension = head.FeatureDimension,
            Weights = Enumerable.Range(0, head.ClassCount).Select(k => head.Weights.AsSpan(k * head.FeatureDimension, head.FeatureDimension).ToArray()).ToArray(),
            Bias = [.. head.Bias],
        };
    }

    public void Write(Stream stream) => JsonSerializer.Serialize(stream, this, Json);

    public static HeadFile Read(string path)
    {
        HeadFile? head;
        try
        {
            using FileStream stream = File.OpenRead(path);
            head = JsonSerializer.Deserialize<HeadFile>(stream, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a head file ({e.Message})", e);
        }

        if (head is null || head.Format != FormatName)
        {
            throw new InvalidDataException($"{path}: format is '{head?.Format}', expected '{FormatName}'.");
        }

        if (head.Weights is null || head.Bias is null || head.Weights.Length != head.ClassCount || head.Weights.Any(r => r is null || r.Length != head.FeatureDimension) || head.Bias.Length != head.ClassCount)
        {
            throw new InvalidDataException($"{path}: weights must be {head.ClassCount} rows of {head.FeatureDimension} values and bias {head.ClassCount} values.");
        }

        try
        {
            _ = head.ToLinearHead();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        return head;
    }
}
