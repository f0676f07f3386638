using System.Text.Json;
using SisomCluster.Core;
using SisomCluster.Core.States;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Inference.Augmentation;

/// <summary>
/// Layer states on disk: an N × Σ C_j float32 <c>.npy</c> (layers side by side, in order) and beside it
/// <c>NAME.layers.json</c> (format <c>sisom-layer-states/1</c>) naming each layer with its α and width, so the
/// scorer can check that reference and query states come from the same layers.
/// </summary>
public static class LayerStatesFile
{
    public const string FormatName = "sisom-layer-states/1";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static string LayersPath(string npyPath) => Path.ChangeExtension(npyPath, ".layers.json");

    public static void WriteLayers(string npyPath, IReadOnlyList<StateLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var document = new Document(FormatName, layers.Select(l => new Layer(l.Name, l.Alpha, l.Width)).ToArray());
        File.WriteAllText(LayersPath(npyPath), JsonSerializer.Serialize(document, Json) + "\n");
    }

    /// <summary>Reads the states and their layer list; every problem is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static LayerStates Read(string npyPath)
    {
        string layersPath = LayersPath(npyPath);
        if (!File.Exists(layersPath))
        {
            throw new InvalidDataException($"{npyPath}: its layer list {layersPath} is missing (sisom offline embed --states-out writes both).");
        }

        Document? document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(File.ReadAllText(layersPath), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{layersPath}: not a layer list: {e.Message}", e);
        }

        if (document is null || document.Format != FormatName || document.Layers is null || document.Layers.Length == 0)
        {
            throw new InvalidDataException($"{layersPath}: expected format '{FormatName}' with at least one layer.");
        }

        StateLayer[] layers = document.Layers.Select(l => new StateLayer(l.Name, l.Alpha, l.Width)).ToArray();
        NpyArray values = NpyFile.Read(npyPath);
        int width = layers.Sum(l => l.Width);
        if (values.Rank != 2 || values.Shape[1] != width)
        {
            throw new InvalidDataException($"{npyPath}: shape {NpyFile.DescribeShape(values.Shape.ToArray())}, the layers in {layersPath} need N x {width}.");
        }

        try
        {
            return new LayerStates(layers, new FeatureMatrix(values.ToSingle(), values.Shape[0], width));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{npyPath}: {e.Message}", e);
        }
    }

    private sealed record Document(string Format, Layer[] Layers);

    private sealed record Layer(string Name, double Alpha, int Width);
}
