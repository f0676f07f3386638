using System.Globalization;
using System.Text;
using System.Text.Json;
using SisomCluster.Core.Evaluation;
using SisomCluster.Lab.ActiveLearning;
using SisomCluster.Lab.Evaluation;

namespace SisomCluster.Lab.Eval;

/// <summary>The tables and learning-curve plots of <c>eval al</c>: mean ± std over seeds per strategy.</summary>
internal sealed class AlReport
{
    private readonly IReadOnlyList<AlVariant> _variants;
    private readonly QueryStrategy[] _strategies;
    private readonly string _command;
    private readonly ActiveLearningOptions _options;
    private readonly int _seeds;
    private readonly int _embedded;
    private readonly double _embedSeconds;
    private readonly double _seconds;

    public AlReport(IReadOnlyList<AlVariant> variants, QueryStrategy[] strategies, string command, ActiveLearningOptions options, int seeds, int embedded, double embedSeconds, double seconds)
    {
        _variants = variants;
        _strategies = strategies;
        _command = command;
        _options = options;
        _seeds = seeds;
        _embedded = embedded;
        _embedSeconds = embedSeconds;
        _seconds = seconds;
    }

    public static string Name(QueryStrategy strategy) => strategy switch
    {
        QueryStrategy.Random => "random",
        QueryStrategy.Entropy => "entropy",
        QueryStrategy.Margin => "margin",
        QueryStrategy.CoreSet => "CoreSet",
        QueryStrategy.Sisom => "SISOM",
        QueryStrategy.Sisome => "SISOMe",
        QueryStrategy.SisomDiversity => "SISOM + diversity",
        QueryStrategy.SisomProduction => "SISOM, production (threshold)",
        QueryStrategy.SisomGuarded => "SISOM, guarded",
        QueryStrategy.SisomGuardedBalanced => "SISOM, guarded + balanced",
        _ => strategy.ToString(),
    };

    public string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# Active learning on Fashion-MNIST features (`sisom eval al`)");
        md.AppendLine();
        md.AppendLine(Invariant($"Command: `{_command}`"));
        md.AppendLine();
        md.AppendLine(Invariant($"Frozen backbone; the logistic-regression head (L2 = {_options.Head.L2}, ≤ {_options.Head.MaxIterations} L-BFGS steps) is refitted on the labeled ID items every round. {_options.InitialLabels} random initial labels, then {_options.Rounds} rounds of {_options.BatchSize}. Accuracy on the test images of the variant's classes; area = trapezoidal area under accuracy vs labels spent, divided by the label range (the mean accuracy over the budget). Mean ± sample std over {_seeds} seeds (the seed picks the initial labels, the random strategy's draws and the open-set pool's OOD items). SISOM and SISOMe select plain top-B (no OOD exclusion, as in the paper); SISOM + diversity walks the top {_options.DiversityFactor}·B (SISOM.md §8.3); α is chosen automatically every round. The production rows run the product's selection (Core's ActiveLearningSelector, OOD exclusion on): *production (threshold)* = top SISOM among the items not flagged by the run's OOD score ({_options.OodScore}) at q = {_options.Scoring.Quantile} (the product's behaviour before issue 16); *guarded* = that, and items whose {_options.GateScore} score exceeds the {_options.GateQuantile} quantile of the reference items' leave-one-out {_options.GateScore} scores are left out too (the product's default); *guarded + balanced* adds ⌈B/K⌉ per predicted class."));
        md.AppendLine();
        md.AppendLine(Invariant($"Time: {_seconds:F0} s in all; {_embedded} images embedded in this run ({_embedSeconds:F0} s), the rest read from the embedding cache."));
        md.AppendLine();
        foreach (AlVariant variant in _variants)
        {
            ActiveLearningRun first = variant.Runs[0];
            bool open = variant.Name == "open";
            md.AppendLine(Invariant($"## {variant.Title}"));
            md.AppendLine();
            md.AppendLine(Invariant($"Pool: {variant.Pool(0).Labels.Length} items; test: {variant.Test.Rows} items; K = {variant.ClassCount}."));
            md.AppendLine();
            md.Append("| strategy | area ↑ | ");
            md.Append(string.Join(" | ", first.LabelsSpent.Select(l => Invariant($"acc @ {l}"))));
            md.AppendLine(open ? " | OOD queried ↓ | selection s/run |" : " | selection s/run |");
            md.AppendLine("|---|---|" + string.Concat(first.LabelsSpent.Select(_ => "---|")) + (open ? "---|---|" : "---|"));
            double bestArea = _strategies.Select(s => Stat(variant, s, r => r.Area).Mean).Max();
            foreach (QueryStrategy strategy in _strategies)
            {
                MeanStd area = Stat(variant, strategy, r => r.Area);
                var row = new List<string> { Name(strategy), area.Mean == bestArea ? $"**{area.Format(4)}**" : area.Format(4) };
                row.AddRange(Enumerable.Range(0, first.LabelsSpent.Length).Select(i => Stat(variant, strategy, r => r.Accuracy[i]).Format()));
                if (open)
                {
                    int queried = first.LabelsSpent[^1] - first.LabelsSpent[0];
                    MeanStd ood = Stat(variant, strategy, r => r.OodSelected[^1]);
                    row.Add(Invariant($"{ood.Format(1)} of {queried}"));
                }

                row.Add(Stat(variant, strategy, r => r.SelectionSeconds).Format(1));
                md.AppendLine($"| {string.Join(" | ", row)} |");
            }

            if (open)
            {
                md.AppendLine();
                md.AppendLine("Share of each round's queried labels spent on OOD items (mean ± std over seeds; the pool is "
                    + Invariant($"{(double)variant.Pool(0).Labels.Count(l => l < 0) / variant.Pool(0).Labels.Length:P0} OOD, which random matches):"));
                md.AppendLine();
                md.Append("| strategy | ");
                md.Append(string.Join(" | ", Enumerable.Range(1, first.LabelsSpent.Length - 1).Select(i => Invariant($"round {i}"))));
                md.AppendLine(" | all rounds ↓ |");
                md.AppendLine("|---|" + string.Concat(Enumerable.Range(1, first.LabelsSpent.Length).Select(_ => "---|")));
                foreach (QueryStrategy strategy in _strategies)
                {
                    var row = new List<string> { Name(strategy) };
                    row.AddRange(Enumerable.Range(1, first.LabelsSpent.Length - 1).Select(i => Stat(variant, strategy, r => OodShare(r, i - 1, i)).Format(2)));
                    row.Add(Stat(variant, strategy, r => OodShare(r, 0, r.LabelsSpent.Length - 1)).Format(3));
                    md.AppendLine($"| {string.Join(" | ", row)} |");
                }
            }

            md.AppendLine();
            md.AppendLine(Invariant($"Plot: `al-{variant.Name}.svg` (mean, error bars ± std)."));
            md.AppendLine();
        }

        md.AppendLine("Bold: the best mean area. Every value per seed and round: `al.json`.");
        return md.ToString();
    }

    public string Json()
    {
        var document = new Dictionary<string, object>
        {
            ["command"] = _command,
            ["seeds"] = _seeds,
            ["initial_labels"] = _options.InitialLabels,
            ["rounds"] = _options.Rounds,
            ["batch"] = _options.BatchSize,
            ["seconds"] = _seconds,
            ["variants"] = _variants.ToDictionary(
                v => v.Name,
                v => _strategies.ToDictionary(
                    Name,
                    s => Runs(v, s).Select(r => new
                    {
                        seed = r.Seed,
                        labels = r.LabelsSpent,
                        accuracy = r.Accuracy,
                        ood_selected = r.OodSelected,
                        area = r.Area,
                        selection_seconds = r.SelectionSeconds,
                    }).ToArray())),
        };
        return JsonSerializer.Serialize(document, OodReport.JsonOptions) + "\n";
    }

    public string Plot(AlVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        int[] labels = variant.Runs[0].LabelsSpent;
        double[] x = labels.Select(l => (double)l).ToArray();
        var means = _strategies.ToDictionary(s => s, s => Enumerable.Range(0, labels.Length).Select(i => Stat(variant, s, r => r.Accuracy[i])).ToArray());
        double low = means.Values.SelectMany(m => m).Min(m => m.Mean - m.Std);
        double high = means.Values.SelectMany(m => m).Max(m => m.Mean + m.Std);
        var plot = new SvgLinePlot
        {
            Title = $"{variant.Title} — accuracy vs labels",
            XLabel = "labels spent (OOD queries included)",
            YLabel = "test accuracy",
            XRange = (labels[0], labels[^1]),
            YRange = (Math.Floor(low * 20) / 20, Math.Min(1, Math.Ceiling(high * 20) / 20)),
        };
        foreach (QueryStrategy strategy in _strategies)
        {
            plot.Add(Name(strategy), x, means[strategy].Select(m => m.Mean).ToArray(), means[strategy].Select(m => m.Std).ToArray());
        }

        return plot.Render();
    }

    public string Summary()
    {
        var text = new StringBuilder();
        foreach (AlVariant variant in _variants)
        {
            text.AppendLine($"{variant.Title}:");
            foreach (QueryStrategy strategy in _strategies)
            {
                text.AppendLine($"  {Name(strategy),-18} area {Stat(variant, strategy, r => r.Area).Format(4)}, final accuracy {Stat(variant, strategy, r => r.Accuracy[^1]).Format()}, OOD queried {Stat(variant, strategy, r => r.OodSelected[^1]).Format(1)}");
            }
        }

        return text.ToString();
    }

    /// <summary>OOD queries / labels queried between rounds <paramref name="from"/> and <paramref name="to"/> (NaN when a run ended before).</summary>
    internal static double OodShare(ActiveLearningRun run, int from, int to) =>
        to >= run.LabelsSpent.Length ? double.NaN : (double)(run.OodSelected[to] - run.OodSelected[from]) / (run.LabelsSpent[to] - run.LabelsSpent[from]);

    private static IEnumerable<ActiveLearningRun> Runs(AlVariant variant, QueryStrategy strategy) => variant.Runs.Where(r => r.Strategy == strategy);

    private static MeanStd Stat(AlVariant variant, QueryStrategy strategy, Func<ActiveLearningRun, double> value) =>
        MeanStd.Of(Runs(variant, strategy).Select(value).ToArray());

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
