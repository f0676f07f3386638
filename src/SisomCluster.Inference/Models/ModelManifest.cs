using System.Text.Json;
using System.Text.Json.Serialization;

namespace SisomCluster.Inference.Models;

/// <summary>
/// The JSON that travels beside an ONNX file (format <c>sisom-model/1</c>): input name, layout, size,
/// colour mode, normalisation; output names for features, logits and layer states.
/// </summary>
public sealed record ModelManifest
{
    public const string FormatName = "sisom-model/1";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string Format { get; init; } = FormatName;

    public required string Name { get; init; }

    public required ManifestInput Input { get; init; }

    public required ManifestOutputs Outputs { get; init; }

    /// <summary>D, the length of h.</summary>
    public required int FeatureDimension { get; init; }

    /// <summary>K when the model has logits; null otherwise.</summary>
    public int? ClassCount { get; init; }

    /// <summary>
    /// The names of the K classes of the model's own head, in index order, when the model has logits and they are known;
    /// the dashboard and the API show them instead of class numbers. Optional (a fitted head takes its names from the labels).
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>Parses and checks a manifest; every problem is an <see cref="InvalidDataException"/> naming the field.</summary>
    public static ModelManifest Parse(string json, string source)
    {
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid model manifest: {e.Message}", e);
        }

        if (manifest is null)
        {
            throw new InvalidDataException($"{source}: empty model manifest.");
        }

        manifest.Validate(source);
        return manifest;
    }

    public void Validate(string source)
    {
        void Fail(string message) => throw new InvalidDataException($"{source}: {message}");
        if (Format != FormatName)
        {
            Fail($"format is '{Format}', expected '{FormatName}'.");
        }

        if (Input.Layout != "NCHW")
        {
            Fail($"input.layout '{Input.Layout}' is not supported (only NCHW).");
        }

        if (Input.Colour is not ("rgb" or "bgr" or "grey"))
        {
            Fail($"input.colour must be rgb, bgr or grey, got '{Input.Colour}'.");
        }

        if (Input.Resize is not ("iso_crop" or "stretch"))
        {
            Fail($"input.resize must be iso_crop or stretch, got '{Input.Resize}'.");
        }

        if (Input.Width < 1 || Input.Height < 1)
        {
            Fail($"input size {Input.Width}x{Input.Height} must be positive.");
        }

        if (Input.Mean.Count != Input.Channels || Input.Std.Count != Input.Channels)
        {
            Fail($"input.mean and input.std need {Input.Channels} values for colour '{Input.Colour}'.");
        }

        if (Input.Std.Any(s => !(s > 0)) || !double.IsFinite(Input.Scale) || Input.Scale == 0)
        {
            Fail("input.std must be positive and input.scale finite and non-zero.");
        }

        if (FeatureDimension < 1)
        {
            Fail($"feature_dimension must be >= 1, got {FeatureDimension}.");
        }

        if (Outputs.Logits is not null && ClassCount is not (>= 2))
        {
            Fail("outputs.logits is set, so class_count must be >= 2.");
        }

        if (ClassNames is { } names && (ClassCount is not { } k || names.Count != k))
        {
            Fail($"class_names has {names.Count} names; it needs one per class (class_count = {(ClassCount is { } c ? c.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unset")}).");
        }

        if (ClassNames is { } given && (given.Any(string.IsNullOrWhiteSpace) || given.Distinct(StringComparer.Ordinal).Count() != given.Count))
        {
            Fail("class_names must be distinct and not empty.");
        }

        if (Outputs.LayerStates.Any(l => !(l.Alpha > 0)))
        {
            Fail("every layer state needs alpha > 0.");
        }
    }
}
