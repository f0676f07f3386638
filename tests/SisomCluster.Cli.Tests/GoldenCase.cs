using System.Text.Json;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>One case of TestData/sisom-golden.json (format sisom-golden/1, see ../shared/testdata/README.md), as raw float64 arrays.</summary>
public sealed class GoldenCase
{
    private static readonly Lazy<IReadOnlyList<GoldenCase>> Cases = new(Load);

    private GoldenCase(JsonElement root)
    {
        K = root.GetProperty("K").GetInt32();
        D = root.GetProperty("D").GetInt32();
        Alpha = root.GetProperty("alpha").GetDouble();
        JsonElement head = root.GetProperty("head");
        Weights = Flatten(head.GetProperty("W"));
        Bias = Doubles(head.GetProperty("b"));
        JsonElement reference = root.GetProperty("reference");
        ReferenceFeatures = Flatten(reference.GetProperty("h"));
        ReferenceLabels = reference.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        JsonElement queries = root.GetProperty("queries");
        QueryFeatures = Flatten(queries.GetProperty("h"));
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

    public int K { get; }

    public int D { get; }

    public double Alpha { get; }

    /// <summary>W, K×D row-major.</summary>
    public double[] Weights { get; }

    public double[] Bias { get; }

    /// <summary>Reference h, n_T×D row-major.</summary>
    public double[] ReferenceFeatures { get; }

    public int ReferenceCount => ReferenceLabels.Length;

    public int[] ReferenceLabels { get; }

    /// <summary>Query h, n_Q×D row-major.</summary>
    public double[] QueryFeatures { get; }

    public int QueryCount => QueryFeatures.Length / D;

    public JsonElement Expected { get; }

    /// <summary>null → <paramref name="nullValue"/> (+∞ for d_in, ratio, sisom, sisome; NaN for d_out).</summary>
    public double[] ExpectedDoubles(string name, double nullValue = double.PositiveInfinity) =>
        Expected.GetProperty(name).EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? nullValue : e.GetDouble()).ToArray();

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static double[] Flatten(JsonElement rows) => rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();

    private static IReadOnlyList<GoldenCase> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "sisom-golden.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        Assert.Equal("sisom-golden/1", doc.RootElement.GetProperty("format").GetString());
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new GoldenCase(c.Clone())).ToArray();
    }
}
