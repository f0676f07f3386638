using System.Text.Json;

namespace SisomCluster.Inference.Tests.Augmentation;

/// <summary>TestData/multilayer/multilayer-golden.json (format sisom-multilayer-golden/1): autograd states of small_cnn.onnx.</summary>
public sealed class MultilayerGolden
{
    private MultilayerGolden(JsonElement root, string directory)
    {
        ModelPath = Path.Combine(directory, root.GetProperty("model").GetString()!);
        InputName = root.GetProperty("input_name").GetString()!;
        LogitsName = root.GetProperty("outputs").GetProperty("logits").GetString()!;
        FeaturesName = root.GetProperty("outputs").GetProperty("features").GetString()!;
        FeaturesAlpha = root.GetProperty("features_alpha").GetDouble();
        Layers = root.GetProperty("layers").EnumerateArray()
            .Select(l => (l.GetProperty("key").GetString()!, l.GetProperty("tensor").GetString()!, l.GetProperty("alpha").GetDouble()))
            .ToArray();
        InputShape = root.GetProperty("input_shape").EnumerateArray().Select(d => (long)d.GetInt32()).ToArray();
        float[][] inputs = Rows(root.GetProperty("inputs"));
        Count = inputs.Length;
        Inputs = inputs.SelectMany(r => r).ToArray();
        JsonElement expected = root.GetProperty("expected");
        Logits = Rows(expected.GetProperty("logits"));
        Features = Rows(expected.GetProperty("features"));
        States = expected.GetProperty("states").EnumerateObject().ToDictionary(p => p.Name, p => Rows(p.Value), StringComparer.Ordinal);
    }

    public static MultilayerGolden Instance { get; } = Load();

    public string ModelPath { get; }

    public string InputName { get; }

    public string LogitsName { get; }

    public string FeaturesName { get; }

    public double FeaturesAlpha { get; }

    public IReadOnlyList<(string Key, string Tensor, double Alpha)> Layers { get; }

    public long[] InputShape { get; }

    public int Count { get; }

    /// <summary>Count × (1·28·28) floats in [0, 1].</summary>
    public float[] Inputs { get; }

    public float[][] Logits { get; }

    public float[][] Features { get; }

    /// <summary>Per layer key (and "features" for the penultimate layer): Count rows of s_j.</summary>
    public IReadOnlyDictionary<string, float[][]> States { get; }

    private static MultilayerGolden Load()
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "TestData", "multilayer");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "multilayer-golden.json")));
        if (document.RootElement.GetProperty("format").GetString() != "sisom-multilayer-golden/1")
        {
            throw new InvalidDataException("Unexpected golden format.");
        }

        return new MultilayerGolden(document.RootElement, directory);
    }

    private static float[][] Rows(JsonElement array) =>
        array.EnumerateArray().Select(r => r.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
}
