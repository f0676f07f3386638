using System.Globalization;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Cli.Tests;

/// <summary>The input files of one golden case written into a temp directory, and the command line that scores them.</summary>
public sealed class ScoreFiles
{
    public ScoreFiles(TempDirectory directory, GoldenCase golden)
    {
        Directory = directory;
        Golden = golden;
        NpyFile.Write(Reference, new NpyArray(golden.ReferenceFeatures, golden.ReferenceCount, golden.D));
        File.WriteAllLines(Labels, golden.ReferenceLabels.Select(l => l.ToString(CultureInfo.InvariantCulture)));
        NpyFile.Write(Weights, new NpyArray(golden.Weights, golden.K, golden.D));
        NpyFile.Write(Bias, new NpyArray(golden.Bias, golden.K));
        NpyFile.Write(Queries, new NpyArray(golden.QueryFeatures, golden.QueryCount, golden.D));
    }

    public TempDirectory Directory { get; }

    public GoldenCase Golden { get; }

    public string Reference => Directory.File("ref.npy");

    public string Labels => Directory.File("labels.txt");

    public string Weights => Directory.File("W.npy");

    public string Bias => Directory.File("b.npy");

    public string Queries => Directory.File("q.npy");

    public string Out => Directory.File("scores.csv");

    public string StatsOut => Directory.File("stats.json");

    /// <summary>The full command line plus <paramref name="extra"/>, without the options named in <paramref name="omit"/>.</summary>
    public string[] Args(IEnumerable<string>? extra = null, params string[] omit)
    {
        var options = new List<(string Name, string Value)>
        {
            ("--reference", Reference),
            ("--reference-labels", Labels),
            ("--head-weights", Weights),
            ("--head-bias", Bias),
            ("--queries", Queries),
            ("--out", Out),
            ("--stats-out", StatsOut),
        };
        var args = new List<string> { "offline", "score" };
        foreach ((string name, string value) in options.Where(o => !omit.Contains(o.Name)))
        {
            args.Add(name);
            args.Add(value);
        }

        args.AddRange(extra ?? []);
        return args.ToArray();
    }
}
