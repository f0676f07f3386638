using System.Globalization;
using System.Text;
using System.Text.Json;
using SisomCluster.Core.Evaluation;
using SisomCluster.Lab.Evaluation;

namespace SisomCluster.Lab.Eval;

/// <summary>The tables of <c>eval ood</c>: metrics per method and OOD set as mean ± std over seeds, in Markdown and JSON.</summary>
internal sealed class OodReport
{
    internal static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private static readonly string[] MetricNames = ["auroc", "fpr95", "aupr_in", "aupr_out"];

    private readonly Dictionary<string, Dictionary<OodMethod, OodMetrics[]>> _metrics;
    private readonly IReadOnlyList<OodBenchmarkResult> _results;
    private readonly string[] _sets;
    private readonly string _command;
    private readonly OodSizes _sizes;
    private readonly int _embedded;
    private readonly double _embedSeconds;
    private readonly double _seconds;
    private readonly OodSetup _setup;
    private readonly IReadOnlyList<OodMethod> _methods;

    private OodReport(Dictionary<string, Dictionary<OodMethod, OodMetrics[]>> metrics, IReadOnlyList<OodBenchmarkResult> results, string[] sets, string command, OodSizes sizes, int embedded, double embedSeconds, double seconds, OodSetup setup)
    {
        _setup = setup;
        _methods = results[0].Methods;
        _metrics = metrics;
        _results = results;
        _sets = sets;
        _command = command;
        _sizes = sizes;
        _embedded = embedded;
        _embedSeconds = embedSeconds;
        _seconds = seconds;
    }

    /// <summary>"far" is the union of the far sets; every other name is one OOD set.</summary>
    public static OodReport Build(IReadOnlyList<OodBenchmarkResult> results, string[] sets, string command, OodSizes sizes, int embedded, double embedSeconds, double seconds, OodSetup? setup = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(results.Count);
        var metrics = new Dictionary<string, Dictionary<OodMethod, OodMetrics[]>>();
        foreach (string set in sets)
        {
            string[] members = set == "far" ? EvalOodCommand.FarSets : [set];
            metrics[set] = results[0].Methods.ToDictionary(m => m, m => results.Select(r => r.Metrics(m, members)).ToArray());
        }

        return new OodReport(metrics, results, sets, command, sizes, embedded, embedSeconds, seconds, setup ?? new OodSetup(null, null, "ood"));
    }

    public static string Name(OodMethod method) => method switch
    {
        OodMethod.Sisom => "SISOM",
        OodMethod.Sisome => "SISOMe",
        OodMethod.Msp => "MSP",
        OodMethod.MaxLogit => "MaxLogit",
        OodMethod.Energy => "Energy",
        OodMethod.Knn => "KNN",
        OodMethod.SisomMultiLayer => "SISOM (multi-layer)",
        OodMethod.SisomeMultiLayer => "SISOMe (multi-layer)",
        OodMethod.SisomeKnn => "SISOMe + KNN (z-sum)",
        _ => method.ToString(),
    };

    public MeanStd Stat(string set, OodMethod method, string metric) => MeanStd.Of(_metrics[set][method].Select(m => Value(m, metric)).ToArray());

    public string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# OOD detection on Fashion-MNIST (`sisom eval ood`)");
        md.AppendLine();
        md.AppendLine(Invariant($"Command: `{_command}`"));
        md.AppendLine();
        md.AppendLine(Invariant($"{OodMetrics.Convention}. AUROC and AUPR: higher is better; FPR@95 (ID items flagged when 95 % of OOD items are): lower is better. Mean ± sample std over {_results.Count} seeds (the seed picks the labeled subset and the noise images)."));
        md.AppendLine();
        string head = _setup.ModelHead is null ? "frozen backbone, logistic-regression head fitted on" : $"the model as given (frozen, not fine-tuned), head: {_setup.ModelHead}; reference set:";
        md.AppendLine(Invariant($"Data: {head} {_sizes.Labeled} labeled ID training images ({_sizes.Labeled / EvalOodCommand.IdClasses} per class of classes 0–5, drawn from the first {_sizes.TrainImages / 10} training images per class); that labeled set is also SISOM's reference set and KNN's bank (k = 50 unless --knn-k). ID test: {_sizes.IdTest} test images of classes 0–5. Near-OOD: {_sizes.Near} test images of classes 6–9 (shirt, sneaker, bag, ankle boot). Far-OOD: {_sizes.FarEach} images each of scikit-learn digits (8×8 upscaled to 24×24 on a 28×28 black canvas), uniform noise, blank (uniform grey levels 0–255) and inverted Fashion-MNIST test images; \"far\" is their union."));
        md.AppendLine();
        md.AppendLine(Invariant($"Head accuracy on the ID test set: {MeanStd.Of(_results.Select(r => r.IdAccuracy).ToArray()).Format()}. SISOM α (auto, minimal r_avg): {string.Join(", ", _results.Select(r => r.Alpha.ToString("G", CultureInfo.InvariantCulture)))}; SISOMe weight w = min(r_avg, 1): {string.Join(", ", _results.Select(r => r.SisomeWeight.ToString("F3", CultureInfo.InvariantCulture)))}."));
        md.AppendLine();
        if (_setup.Layers is not null)
        {
            md.AppendLine(Invariant($"Multi-layer rows: z = concat(s_pen, s_1, …) with the layer states of the augmented model (`sisom model augment`), layers {_setup.Layers}; same features, head, reference set, seeds and splits as the penultimate rows.{(_setup.LayerAlphas is null ? string.Empty : " A layer's α marked auto is chosen per seed by the latent-space analysis (SISOM.md §3.4): the α of the grid whose states of that layer alone give the smallest r_avg on the reference set; r_avg per grid point in the JSON (`layer_alpha`).")} α_pen of the multi-layer context (auto): {string.Join(", ", _results.Select(r => r.MultiLayerAlpha?.ToString("G", CultureInfo.InvariantCulture)))}; SISOMe weight: {string.Join(", ", _results.Select(r => r.MultiLayerSisomeWeight?.ToString("F3", CultureInfo.InvariantCulture)))}."));
            md.AppendLine();
        }

        md.AppendLine(Invariant($"Time: {_seconds:F0} s in all; {_embedded} images embedded in this run ({_embedSeconds:F0} s), the rest read from the embedding cache."));
        md.AppendLine();
        foreach (string set in new[] { "near", "far" })
        {
            md.AppendLine(set == "near" ? "## Near-OOD (classes 6–9)" : "## Far-OOD (digits ∪ noise ∪ blank ∪ inverted)");
            md.AppendLine();
            md.AppendLine("| method | AUROC ↑ | FPR@95 ↓ | AUPR-In ↑ | AUPR-Out ↑ |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (OodMethod method in _methods)
            {
                md.AppendLine($"| {Name(method)} | {string.Join(" | ", MetricNames.Select(m => Cell(set, method, m)))} |");
            }

            md.AppendLine();
        }

        foreach ((string metric, string title) in new[] { ("auroc", "AUROC ↑"), ("fpr95", "FPR@95 ↓") })
        {
            md.AppendLine(Invariant($"## Each far-OOD set: {title}"));
            md.AppendLine();
            md.AppendLine($"| method | {string.Join(" | ", EvalOodCommand.FarSets)} |");
            md.AppendLine($"|---|{string.Concat(EvalOodCommand.FarSets.Select(_ => "---|"))}");
            foreach (OodMethod method in _methods)
            {
                md.AppendLine($"| {Name(method)} | {string.Join(" | ", EvalOodCommand.FarSets.Select(s => Cell(s, method, metric)))} |");
            }

            md.AppendLine();
        }

        md.AppendLine($"Bold: the best mean in the column. ROC curves of seed 0: `{_setup.Prefix}-roc-near.svg`, `{_setup.Prefix}-roc-far.svg`; every value per seed: `{_setup.Prefix}.json`.");
        return md.ToString();
    }

    public string Json()
    {
        var document = new Dictionary<string, object>
        {
            ["command"] = _command,
            ["convention"] = OodMetrics.Convention,
            ["sizes"] = _sizes,
            ["seeds"] = _results.Count,
            ["id_accuracy"] = _results.Select(r => r.IdAccuracy).ToArray(),
            ["alpha"] = _results.Select(r => r.Alpha).ToArray(),
            ["sisome_weight"] = _results.Select(r => r.SisomeWeight).ToArray(),
            ["model_head"] = _setup.ModelHead ?? "fitted",
            ["layers"] = _setup.Layers ?? string.Empty,
            ["multilayer_alpha"] = _results.Select(r => r.MultiLayerAlpha).ToArray(),
            ["layer_alpha"] = _setup.LayerAlphas?.ToDictionary(
                p => p.Key,
                p => p.Value.Select(c => new
                {
                    alpha = c.Alpha,
                    grid = c.Grid.Select(g => new { alpha = g.Alpha, r_avg = double.IsFinite(g.RAvg) ? g.RAvg : (double?)null, eligible = g.Eligible }).ToArray(),
                }).ToArray()) ?? [],
            ["seconds"] = _seconds,
            ["metrics"] = _sets.ToDictionary(
                s => s,
                s => _methods.ToDictionary(
                    Name,
                    m => MetricNames.ToDictionary(
                        metric => metric,
                        metric =>
                        {
                            double[] values = _metrics[s][m].Select(x => Value(x, metric)).ToArray();
                            MeanStd stat = MeanStd.Of(values);
                            return new { mean = stat.Mean, std = stat.Std, values };
                        }))),
        };
        return JsonSerializer.Serialize(document, JsonOptions) + "\n";
    }

    public string Summary()
    {
        var text = new StringBuilder();
        text.AppendLine("method               near AUROC        far AUROC         near FPR@95       far FPR@95");
        foreach (OodMethod method in _methods)
        {
            text.AppendLine($"{Name(method),-20} {Stat("near", method, "auroc").Format(),-17} {Stat("far", method, "auroc").Format(),-17} {Stat("near", method, "fpr95").Format(),-17} {Stat("far", method, "fpr95").Format()}");
        }

        return text.ToString();
    }

    private string Cell(string set, OodMethod method, string metric)
    {
        MeanStd stat = Stat(set, method, metric);
        bool lowerIsBetter = metric == "fpr95";
        double best = _methods.Select(m => Stat(set, m, metric).Mean).Aggregate(lowerIsBetter ? Math.Min : Math.Max);
        return stat.Mean == best ? $"**{stat.Format()}**" : stat.Format();
    }

    private static double Value(OodMetrics m, string metric) => metric switch
    {
        "auroc" => m.Auroc,
        "fpr95" => m.Fpr95,
        "aupr_in" => m.AuprIn,
        "aupr_out" => m.AuprOut,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "unknown metric"),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
