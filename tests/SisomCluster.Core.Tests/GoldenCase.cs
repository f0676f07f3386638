using System.Text.Json;
using SisomCluster.Core;
using SisomCluster.Core.States;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>One case of TestData/sisom-golden.json (format sisom-golden/1; see ../shared/testdata/README.md).</summary>
public sealed class GoldenCase
{
    private static readonly Lazy<IReadOnlyList<GoldenCase>> Cases = new(Load);

    private GoldenCase(JsonElement root)
    {
        Root = root;
        Seed = root.GetProperty("seed").GetInt32();
        K = root.GetProperty("K").GetInt32();
        D = root.GetProperty("D").GetInt32();
        Alpha = root.GetProperty("alpha").GetDouble();
        JsonElement head = root.GetProperty("head");
        Head = new LinearHead(Flatten(head.GetProperty("W")), Doubles(head.GetProperty("b")), K, D);
        JsonElement reference = root.GetProperty("reference");
        ReferenceFeatures = Matrix(reference.GetProperty("h"));
        ReferenceLabels = reference.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        JsonElement queries = root.GetProperty("queries");
        QueryFeatures = Matrix(queries.GetProperty("h"));
        QueryIsOod = queries.GetProperty("is_ood").EnumerateArray().Select(e => e.GetInt32() == 1).ToArray();
        Expected = root.GetProperty("expected");
    }

    public static IReadOnlyList<GoldenCase> All => Cases.Value;

    public static TheoryData<int> Indices
    {
        get
        {
            var data = new TheoryData<int>();
            for (int i = 0; i < All.Count; i++)
            {
                data.Add(i);
            }

            return data;
        }
    }

    public JsonElement Root { get; }

    public int Seed { get; }

    public int K { get; }

    public int D { get; }

    public double Alpha { get; }

    public LinearHead Head { get; }

    public FeatureMatrix ReferenceFeatures { get; }

    public int[] ReferenceLabels { get; }

    public FeatureMatrix QueryFeatures { get; }

    public bool[] QueryIsOod { get; }

    public JsonElement Expected { get; }

    /// <summary>null → +∞ (d_in, ratio, sisom, sisome) or NaN (d_out: undefined).</summary>
    public double[] ExpectedDoubles(string name, double nullValue = double.PositiveInfinity) =>
        Expected.GetProperty(name).EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? nullValue : e.GetDouble()).ToArray();

    public double[][] ExpectedRows(string name) =>
        Expected.GetProperty(name).EnumerateArray().Select(Doubles).ToArray();

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static double[] Flatten(JsonElement rows) => rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();

    private static FeatureMatrix Matrix(JsonElement rows)
    {
        double[][] r = rows.EnumerateArray().Select(Doubles).ToArray();
        return FeatureMatrix.FromRows(r, "golden");
    }

    private static IReadOnlyList<GoldenCase> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "sisom-golden.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (doc.RootElement.GetProperty("format").GetString() != "sisom-golden/1")
        {
            throw new InvalidDataException("Unexpected golden format.");
        }

        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new GoldenCase(c.Clone())).ToArray();
    }
}
