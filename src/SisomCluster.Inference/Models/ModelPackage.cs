using System.Security.Cryptography;
using Onnx;
using SisomCluster.Inference.Decoding;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Inference.Models;

/// <summary>
/// An ONNX file and its manifest, checked against each other. The version is the SHA-256 of the
/// model bytes followed by the manifest bytes: change either and every score names a new model.
/// </summary>
public sealed class ModelPackage
{
    private ModelPackage(string modelPath, byte[] modelBytes, ModelManifest manifest, string version, float[]? meanImage)
    {
        ModelPath = modelPath;
        ModelBytes = modelBytes;
        Manifest = manifest;
        Version = version;
        MeanImage = meanImage;
        ManifestInput input = manifest.Input;
        Normalization = new PixelNormalization
        {
            Width = input.Width,
            Height = input.Height,
            ChannelOrder = input.Colour switch { "bgr" => ChannelOrder.Bgr, "grey" => ChannelOrder.Grey, _ => ChannelOrder.Rgb },
            Scale = (float)input.Scale,
            Mean = input.Mean.Select(v => (float)v).ToArray(),
            Std = input.Std.Select(v => (float)v).ToArray(),
            MeanImage = meanImage,
            Resize = input.Resize == "stretch" ? ResizeMode.Stretch : ResizeMode.IsoCrop,
        };
    }

    public string ModelPath { get; }

    public byte[] ModelBytes { get; }

    public ModelManifest Manifest { get; }

    /// <summary>Lower-case hex SHA-256 of model bytes ‖ manifest bytes.</summary>
    public string Version { get; }

    /// <summary>The per-pixel mean image (C×H×W), when the manifest names one.</summary>
    public float[]? MeanImage { get; }

    /// <summary>How the decoder turns pixels into this model's input.</summary>
    public PixelNormalization Normalization { get; }

    /// <summary>Loads <paramref name="modelPath"/> with the manifest beside it (<c>NAME.manifest.json</c>) or the one given.</summary>
    public static ModelPackage Load(string modelPath, string? manifestPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        manifestPath ??= ManifestPathFor(modelPath);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Model file not found: {modelPath}", modelPath);
        }

        if (!File.Exists(manifestPath))
        {
            throw new FileNotFoundException($"Model manifest not found: {manifestPath} (write one with `sisom model inspect {modelPath}`)", manifestPath);
        }

        byte[] modelBytes = File.ReadAllBytes(modelPath);
        byte[] manifestBytes = File.ReadAllBytes(manifestPath);
        ModelManifest manifest = ModelManifest.Parse(System.Text.Encoding.UTF8.GetString(manifestBytes), manifestPath);
        ModelProto model = OnnxGraph.Parse(modelBytes, modelPath);
        CheckAgainstGraph(model, manifest, manifestPath);

        float[]? meanImage = null;
        if (manifest.Input.MeanImage is { } meanFile)
        {
            string meanPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, meanFile);
            NpyArray mean = NpyFile.Read(meanPath);
            int expected = manifest.Input.Channels * manifest.Input.Height * manifest.Input.Width;
            if (mean.Length != expected)
            {
                throw new InvalidDataException($"{manifestPath}: mean image {meanFile} has {mean.Length} values, expected C×H×W = {expected}.");
            }

            meanImage = mean.ToSingle();
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(modelBytes);
        sha.AppendData(manifestBytes);
        string version = Convert.ToHexStringLower(sha.GetHashAndReset());
        return new ModelPackage(Path.GetFullPath(modelPath), modelBytes, manifest, version, meanImage);
    }

    /// <summary>
    /// W and b of a full classifier, read from its last Gemm/MatMul initialisers (SISOM.md §2). A backbone
    /// without one gets a clear error: its head has to be fitted on labeled embeddings.
    /// </summary>
    public static Core.States.LinearHead ReadFinalLinearLayer(string modelPath)
    {
        ModelProto model = OnnxGraph.Parse(File.ReadAllBytes(modelPath), modelPath);
        var found = OnnxGraph.FindFinalLinearLayer(model)
            ?? throw new InvalidDataException($"{modelPath}: no final Gemm or MatMul with initializer weights, so the model has no classifier to take W and b from; fit a head on labeled embeddings (sisom offline fit-head).");
        return Core.States.LinearHead.FromSingle(found.Weights, found.Bias, found.ClassCount, found.FeatureDimension);
    }

    public static string ManifestPathFor(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".manifest.json");

    /// <summary>Every name and known dimension in the manifest must match the graph; the message says which does not.</summary>
    internal static void CheckAgainstGraph(ModelProto model, ModelManifest manifest, string source)
    {
        IReadOnlyList<ValueInfoProto> inputs = OnnxGraph.RealInputs(model);
        ValueInfoProto input = inputs.FirstOrDefault(i => i.Name == manifest.Input.Name)
            ?? throw new InvalidDataException($"{source}: input '{manifest.Input.Name}' is not in the model; it has {string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}.");
        long?[] shape = OnnxGraph.Shape(input);
        long?[] expected = [null, manifest.Input.Channels, manifest.Input.Height, manifest.Input.Width];
        if (shape.Length != 4 || !shape.Skip(1).Zip(expected.Skip(1)).All(p => p.First is null || p.First == p.Second))
        {
            throw new InvalidDataException($"{source}: input '{input.Name}' has shape {OnnxGraph.DescribeShape(input)}, the manifest says NCHW [N, {manifest.Input.Channels}, {manifest.Input.Height}, {manifest.Input.Width}].");
        }

        CheckOutput(model, manifest.Outputs.Features, manifest.FeatureDimension, "outputs.features", source);
        if (manifest.Outputs.Logits is { } logits)
        {
            CheckOutput(model, logits, manifest.ClassCount!.Value, "outputs.logits", source);
        }

        foreach (LayerStateOutput layer in manifest.Outputs.LayerStates)
        {
            CheckOutput(model, layer.Name, expectedSize: null, "outputs.layer_states", source);
        }
    }

    private static void CheckOutput(ModelProto model, string name, int? expectedSize, string field, string source)
    {
        ValueInfoProto output = model.Graph.Output.FirstOrDefault(o => o.Name == name)
            ?? throw new InvalidDataException($"{source}: {field} '{name}' is not a model output; outputs are {string.Join(", ", model.Graph.Output.Select(o => $"'{o.Name}'"))}.");
        long?[] shape = OnnxGraph.Shape(output);
        if (expectedSize is { } size && shape.Length >= 2 && shape.Skip(1).All(d => d is not null))
        {
            long product = shape.Skip(1).Aggregate(1L, (a, d) => a * d!.Value);
            if (product != size)
            {
                throw new InvalidDataException($"{source}: {field} '{name}' has shape {OnnxGraph.DescribeShape(output)} ({product} values per item), the manifest says {size}.");
            }
        }
    }
}
