using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SisomCluster.Core;
using SisomCluster.Core.Evaluation;
using SisomCluster.Inference.Datasets;

namespace SisomCluster.Cli.Eval;

/// <summary>
/// <c>sisom eval ood</c>: OOD detection on Fashion-MNIST with a frozen backbone and a fitted head. ID = classes
/// 0–5 (a labeled subset is the head's training set, SISOM's reference set and KNN's bank), near-OOD = classes
/// 6–9 of the test split, far-OOD = scikit-learn digits, uniform noise, blank and inverted images. SISOM,
/// SISOMe, MSP, MaxLogit, Energy and KNN; AUROC, FPR@95, AUPR over seeds; a table and ROC plots.
/// </summary>
internal sealed class EvalOodCommand : Command
{
    public const int IdClasses = 6;
    public static readonly string[] FarSets = ["digits", "noise", "blank", "inverted"];

    private readonly EvalOptions _shared = new();
    private readonly Option<int> _labeledPerClass = new("--labeled-per-class") { Description = "Labeled ID items per class drawn (per seed) from the training images.", DefaultValueFactory = _ => 100 };
    private readonly Option<int> _farCount = new("--far-count") { Description = "Images in each far-OOD set.", DefaultValueFactory = _ => 300 };
    private readonly Option<string> _digits = new("--digits") { Description = "scikit-learn's digits.csv.gz (Debian python3-sklearn).", HelpName = "FILE", DefaultValueFactory = _ => SklearnDigits.DefaultPath };
    private readonly Option<int> _knnK = new("--knn-k") { Description = "k of the KNN baseline.", DefaultValueFactory = _ => 50 };

    public EvalOodCommand()
        : base("ood", Describe())
    {
        _shared.AddTo(this);
        Options.Add(_labeledPerClass);
        Options.Add(_farCount);
        Options.Add(_digits);
        Options.Add(_knnK);
        SetAction(Execute);
    }

    private int Execute(ParseResult parse)
    {
        TextWriter stdout = parse.InvocationConfiguration.Output;
        TextWriter stderr = parse.InvocationConfiguration.Error;
        _shared.Validate(parse);
        EvalOptions.Positive(parse, _labeledPerClass);
        EvalOptions.Positive(parse, _farCount);
        EvalOptions.Positive(parse, _knnK);
        int seeds = parse.GetValue(_shared.Seeds);
        int labeledPerClass = parse.GetValue(_labeledPerClass);
        int farCount = parse.GetValue(_farCount);
        int trainPerClass = parse.GetValue(_shared.TrainPerClass);
        if (labeledPerClass > trainPerClass)
        {
            throw new UsageException($"--labeled-per-class {labeledPerClass} exceeds --train-per-class {trainPerClass}.");
        }

        var clock = Stopwatch.StartNew();
        string digitsPath = parse.GetRequiredValue(_digits);
        if (!File.Exists(digitsPath))
        {
            throw new UsageException($"--digits {digitsPath}: file not found; the far-OOD digits come from the Debian package python3-sklearn (apt-get install -y python3-sklearn).");
        }

        GreyImageSet digits = SklearnDigits.Load(farCount, path: digitsPath);
        FashionSplits splits = FashionSplits.Load(trainPerClass, parse.GetValue(_shared.TestPerClass), parse.GetRequiredValue(_shared.Fashion));
        if (splits.UnusedTest.Length < farCount)
        {
            throw new UsageException($"--far-count {farCount}: only {splits.UnusedTest.Length} test images are left to invert.");
        }

        using EmbeddingCache cache = _shared.OpenCache(parse, stderr);
        FeatureMatrix train = cache.Features(splits.Train);
        FeatureMatrix test = cache.Features(splits.Test);
        var fixedFar = new Dictionary<string, FeatureMatrix>
        {
            ["digits"] = cache.Features(digits),
            ["blank"] = cache.Features(SyntheticOodImages.Blank(farCount)),
            ["inverted"] = cache.Features(SyntheticOodImages.Inverted(GreyImageSet.From("fmnist-test-extra", splits.TestData, splits.UnusedTest[..farCount]))),
        };

        int[] idTestRows = Rows(splits.Test.Labels, l => l < IdClasses);
        FeatureMatrix idTest = Select(test, idTestRows);
        int[] idTestLabels = idTestRows.Select(i => splits.Test.Labels[i]).ToArray();
        FeatureMatrix near = Select(test, Rows(splits.Test.Labels, l => l >= IdClasses));
        string[] reportSets = ["near", "far", .. FarSets];
        var results = new List<OodBenchmarkResult>();
        for (int seed = 0; seed < seeds; seed++)
        {
            int[] labeledRows = LabeledSubset(splits.Train.Labels, labeledPerClass, seed);
            FeatureMatrix noise = cache.Features(SyntheticOodImages.Noise(farCount, seed));
            OodBenchmarkResult result = OodBenchmark.Run(
                Select(train, labeledRows),
                labeledRows.Select(i => splits.Train.Labels[i]).ToArray(),
                IdClasses,
                idTest,
                idTestLabels,
                [new("near", near), new("digits", fixedFar["digits"]), new("noise", noise), new("blank", fixedFar["blank"]), new("inverted", fixedFar["inverted"])],
                new OodBenchmarkOptions { KnnK = parse.GetValue(_knnK) });
            results.Add(result);
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: head accuracy {result.IdAccuracy:F3} on {idTestRows.Length} ID test items, alpha {result.Alpha:G}, SISOM near AUROC {result.Metrics(OodMethod.Sisom, "near").Auroc:F3}, far AUROC {result.Metrics(OodMethod.Sisom, FarSets).Auroc:F3}"));
        }

        string outDirectory = parse.GetRequiredValue(_shared.Out);
        Directory.CreateDirectory(outDirectory);
        var sizes = new OodSizes(labeledPerClass * IdClasses, idTestRows.Length, near.Rows, farCount, splits.Train.Count);
        OodReport report = OodReport.Build(results, reportSets, EvalOptions.CommandLine(parse), sizes, cache, clock.Elapsed.TotalSeconds);
        File.WriteAllText(Path.Combine(outDirectory, "ood.md"), report.Markdown());
        File.WriteAllText(Path.Combine(outDirectory, "ood.json"), report.Json());
        File.WriteAllText(Path.Combine(outDirectory, "ood-roc-near.svg"), Roc(results[0], "Near-OOD (Fashion-MNIST classes 6–9) vs ID, seed 0", ["near"]));
        File.WriteAllText(Path.Combine(outDirectory, "ood-roc-far.svg"), Roc(results[0], "Far-OOD (digits, noise, blank, inverted) vs ID, seed 0", FarSets));
        stdout.Write(report.Summary());
        stdout.WriteLine($"wrote ood.md, ood.json, ood-roc-near.svg, ood-roc-far.svg to {outDirectory}");
        return ExitCodes.Success;
    }

    /// <summary>labeledPerClass random training rows of each ID class; the seed picks which.</summary>
    internal static int[] LabeledSubset(int[] labels, int perClass, int seed)
    {
        var random = new Random(seed);
        var chosen = new List<int>();
        for (int c = 0; c < IdClasses; c++)
        {
            int[] members = Rows(labels, l => l == c);
            random.Shuffle(members);
            chosen.AddRange(members.Take(perClass));
        }

        chosen.Sort();
        return [.. chosen];
    }

    internal static int[] Rows(int[] labels, Func<int, bool> keep) => Enumerable.Range(0, labels.Length).Where(i => keep(labels[i])).ToArray();

    internal static FeatureMatrix Select(FeatureMatrix source, int[] rows)
    {
        var data = new float[rows.Length * source.Columns];
        for (int i = 0; i < rows.Length; i++)
        {
            source.Row(rows[i]).CopyTo(data.AsSpan(i * source.Columns, source.Columns));
        }

        return new FeatureMatrix(data, rows.Length, source.Columns);
    }

    private static string Roc(OodBenchmarkResult result, string title, string[] sets)
    {
        var plot = new SvgLinePlot { Title = title, XLabel = "false positive rate (ID flagged)", YLabel = "true positive rate (OOD flagged)", XRange = (0, 1), YRange = (0, 1), Diagonal = true };
        foreach (OodMethod method in Enum.GetValues<OodMethod>())
        {
            RocCurve roc = result.Roc(method, sets).Thin(300);
            plot.Add(string.Create(CultureInfo.InvariantCulture, $"{OodReport.Name(method)} ({roc.Area():F3})"), roc.FalsePositiveRate, roc.TruePositiveRate);
        }

        return plot.Render();
    }

    private static string Describe() =>
        "OOD detection on Fashion-MNIST: ID classes 0-5, near-OOD classes 6-9, far-OOD digits/noise/blank/inverted;" + Environment.NewLine
        + "SISOM, SISOMe, MSP, MaxLogit, Energy, KNN; AUROC, FPR@95, AUPR, mean ± std over seeds." + Environment.NewLine
        + Environment.NewLine
        + "Example:" + Environment.NewLine
        + "  sisom eval ood --out docs/results";
}
