using System.Text.Json;
using System.Xml.Linq;
using SisomCluster.Cli.Tests;
using Xunit;

namespace SisomCluster.Lab.Tests.Eval;

/// <summary>
/// <c>eval ood</c> and <c>eval al</c> end to end with tiny sizes: real Fashion-MNIST, digits and ResNet-18
/// embeddings (a few hundred images), tables and plots written, the second command served from the cache.
/// </summary>
public sealed class EvalCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Ood_then_al_write_tables_and_plots_and_share_the_embedding_cache()
    {
        string cache = _directory.File("cache");
        string models = _directory.File("models");
        string results = _directory.File("results");
        string[] common = ["--out", results, "--cache", cache, "--model-cache", models, "--provider", "cpu", "--seeds", "2", "--train-per-class", "20", "--test-per-class", "10"];

        LabResult ood = LabResult.Run(["eval", "ood", .. common, "--labeled-per-class", "10", "--far-count", "8", "--knn-k", "5"]);
        Assert.True(ood.ExitCode == 0, ood.ToString());
        Assert.Contains("embedded fmnist-train: 200 images", ood.Stderr, StringComparison.Ordinal);
        Assert.Contains("embedded noise", ood.Stderr, StringComparison.Ordinal);
        using (JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "ood.json"))))
        {
            JsonElement metrics = json.RootElement.GetProperty("metrics");
            foreach (string set in new[] { "near", "far", "digits", "noise", "blank", "inverted" })
            {
                foreach (string method in new[] { "SISOM", "SISOMe", "MSP", "MaxLogit", "Energy", "KNN" })
                {
                    JsonElement auroc = metrics.GetProperty(set).GetProperty(method).GetProperty("auroc");
                    Assert.Equal(2, auroc.GetProperty("values").GetArrayLength());
                    Assert.InRange(auroc.GetProperty("mean").GetDouble(), 0, 1);
                }
            }

            Assert.Equal(2, json.RootElement.GetProperty("id_accuracy").GetArrayLength());
        }

        string table = File.ReadAllText(Path.Combine(results, "ood.md"));
        Assert.Contains("| SISOM | ", table, StringComparison.Ordinal);
        Assert.Contains("Command: `sisom eval ood --out", table, StringComparison.Ordinal);
        Assert.Equal(7, XDocument.Parse(File.ReadAllText(Path.Combine(results, "ood-roc-far.svg"))).Descendants(XName.Get("polyline", "http://www.w3.org/2000/svg")).Count()); // six scores + the combined SISOMe + KNN research row (OodMethod.SisomeKnn)

        LabResult al = LabResult.Run(["eval", "al", .. common, "--initial", "20", "--rounds", "2", "--batch", "10"]);
        Assert.True(al.ExitCode == 0, al.ToString());
        Assert.DoesNotContain("embedded fmnist", al.Stderr, StringComparison.Ordinal);
        using (JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "al.json"))))
        {
            JsonElement open = json.RootElement.GetProperty("variants").GetProperty("open");
            JsonElement[] sisom = open.GetProperty("SISOM").EnumerateArray().ToArray();
            Assert.Equal(2, sisom.Length);
            Assert.Equal([20, 30, 40], sisom[0].GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(10, json.RootElement.GetProperty("variants").GetProperty("closed").EnumerateObject().Count());
        }

        Assert.Contains("OOD queried", File.ReadAllText(Path.Combine(results, "al.md")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(results, "al-closed.svg")));
        Assert.True(File.Exists(Path.Combine(results, "al-open.svg")));
    }

    [Fact]
    public void Bad_options_are_one_line_usage_errors()
    {
        LabResult labeled = LabResult.Run("eval", "ood", "--train-per-class", "5", "--labeled-per-class", "10", "--out", _directory.File("r"));
        Assert.Equal(2, labeled.ExitCode);
        Assert.Contains("--labeled-per-class 10 exceeds --train-per-class 5", labeled.Stderr, StringComparison.Ordinal);

        LabResult digits = LabResult.Run("eval", "ood", "--digits", _directory.File("none.csv.gz"), "--out", _directory.File("r"));
        Assert.Equal(2, digits.ExitCode);
        Assert.Contains("python3-sklearn", digits.Stderr, StringComparison.Ordinal);

        LabResult strategy = LabResult.Run("eval", "al", "--strategies", "random,badge", "--out", _directory.File("r"));
        Assert.Equal(2, strategy.ExitCode);
        Assert.Single(strategy.StderrLines);
        Assert.Contains("unknown strategy 'badge'", strategy.Stderr, StringComparison.Ordinal);

        LabResult fraction = LabResult.Run("eval", "al", "--open-set-fraction", "1", "--out", _directory.File("r"));
        Assert.Equal(2, fraction.ExitCode);
        Assert.Contains("--open-set-fraction", fraction.Stderr, StringComparison.Ordinal);
    }
}
