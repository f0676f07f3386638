using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SisomCluster.Cli;
using SisomCluster.Core;
using SisomCluster.Core.Evaluation;
using SisomCluster.Core.States;
using SisomCluster.Inference.Augmentation;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Models;
using SisomCluster.Lab.Datasets;
using SisomCluster.Lab.Evaluation;

namespace SisomCluster.Lab.Eval;

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
    private readonly Option<string?> _layers = new("--layers") { Description = "Also multi-layer SISOM/SISOMe: layer tensors and their alpha, TENSOR:ALPHA,... (sisom model augment's --layer); needs a --model with logits. The augmented model is built once into the cache.", HelpName = "TENSOR:ALPHA,..." };

    public EvalOodCommand()
        : base("ood", Describe())
    {
        _shared.AddTo(this);
        Options.Add(_labeledPerClass);
        Options.Add(_farCount);
        Options.Add(_digits);
        Options.Add(_knnK);
        Options.Add(_layers);
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

        ModelPackage model = _shared.LoadModel(parse);
        LinearHead? modelHead = model.Manifest.Outputs.Logits is null ? null : ModelPackage.ReadFinalLinearLayer(model.ModelPath);
        IReadOnlyList<LayerChoice> layers = ParseLayers(parse.GetValue(_layers));
        if (layers.Count > 0)
        {
            if (modelHead is null)
            {
                throw new UsageException($"--layers: model {model.Manifest.Name} has no logits, so its layers have no gradient; give a classifier (or augment a backbone with its head first: sisom model augment --head) .");
            }

            model = Augmented(model, layers, parse.GetRequiredValue(_shared.Cache), stderr);
        }

        using EmbeddingCache cache = _shared.OpenCache(parse, stderr, model);
        (FeatureMatrix train, LayerStates? trainStates) = cache.Embed(splits.Train);
        (FeatureMatrix test, LayerStates? testStates) = cache.Embed(splits.Test);
        var fixedFar = new Dictionary<string, (FeatureMatrix Features, LayerStates? States)>
        {
            ["digits"] = cache.Embed(digits),
            ["blank"] = cache.Embed(SyntheticOodImages.Blank(farCount)),
            ["inverted"] = cache.Embed(SyntheticOodImages.Inverted(GreyImageSet.From("fmnist-test-extra", splits.TestData, splits.UnusedTest[..farCount]))),
        };

        int[] idTestRows = Rows(splits.Test.Labels, l => l < IdClasses);
        int[] nearRows = Rows(splits.Test.Labels, l => l >= IdClasses);
        FeatureMatrix idTest = Select(test, idTestRows);
        int[] idTestLabels = idTestRows.Select(i => splits.Test.Labels[i]).ToArray();
        FeatureMatrix near = Select(test, nearRows);
        string[] reportSets = ["near", "far", .. FarSets];
        var results = new List<OodBenchmarkResult>();
        for (int seed = 0; seed < seeds; seed++)
        {
            int[] labeledRows = LabeledSubset(splits.Train.Labels, labeledPerClass, seed);
            (FeatureMatrix noise, LayerStates? noiseStates) = cache.Embed(SyntheticOodImages.Noise(farCount, seed));
            OodLayerStates? states = trainStates is null ? null : new OodLayerStates(
                Select(trainStates, labeledRows),
                Select(testStates!, idTestRows),
                new Dictionary<string, LayerStates>
                {
                    ["near"] = Select(testStates!, nearRows),
                    ["digits"] = fixedFar["digits"].States!,
                    ["noise"] = noiseStates!,
                    ["blank"] = fixedFar["blank"].States!,
                    ["inverted"] = fixedFar["inverted"].States!,
                });
            OodBenchmarkResult result = OodBenchmark.Run(
                Select(train, labeledRows),
                labeledRows.Select(i => splits.Train.Labels[i]).ToArray(),
                IdClasses,
                idTest,
                idTestLabels,
                [new("near", near), new("digits", fixedFar["digits"].Features), new("noise", noise), new("blank", fixedFar["blank"].Features), new("inverted", fixedFar["inverted"].Features)],
                new OodBenchmarkOptions { KnnK = parse.GetValue(_knnK), FixedHead = modelHead },
                states);
            results.Add(result);
            string multi = states is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; multi-layer near {result.Metrics(OodMethod.SisomMultiLayer, "near").Auroc:F3}, far {result.Metrics(OodMethod.SisomMultiLayer, FarSets).Auroc:F3}");
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: head accuracy {result.IdAccuracy:F3} on {idTestRows.Length} ID test items, alpha {result.Alpha:G}, SISOM near AUROC {result.Metrics(OodMethod.Sisom, "near").Auroc:F3}, far AUROC {result.Metrics(OodMethod.Sisom, FarSets).Auroc:F3}{multi}"));
        }

        string outDirectory = parse.GetRequiredValue(_shared.Out);
        Directory.CreateDirectory(outDirectory);
        string modelArgument = parse.GetRequiredValue(_shared.Model);
        string prefix = string.Equals(modelArgument, DefaultModels.ResNet18Name, StringComparison.OrdinalIgnoreCase) && layers.Count == 0
            ? "ood"
            : "ood-" + (string.Equals(modelArgument, DefaultModels.ResNet18Name, StringComparison.OrdinalIgnoreCase) ? "resnet18" : Path.GetFileNameWithoutExtension(modelArgument)) + (layers.Count > 0 ? "-multilayer" : string.Empty);
        var sizes = new OodSizes(labeledPerClass * IdClasses, idTestRows.Length, near.Rows, farCount, splits.Train.Count);
        var setup = new OodSetup(
            modelHead is null ? null : $"the model's own final layer ({modelHead.ClassCount} classes, not refitted)",
            layers.Count == 0 ? null : string.Join(", ", layers.Select(l => string.Create(CultureInfo.InvariantCulture, $"`{l.Tensor}` (α {l.Alpha:G})"))),
            prefix);
        OodReport report = OodReport.Build(results, reportSets, EvalOptions.CommandLine(parse), sizes, cache, clock.Elapsed.TotalSeconds, setup);
        File.WriteAllText(Path.Combine(outDirectory, prefix + ".md"), report.Markdown());
        File.WriteAllText(Path.Combine(outDirectory, prefix + ".json"), report.Json());
        File.WriteAllText(Path.Combine(outDirectory, prefix + "-roc-near.svg"), Roc(results[0], "Near-OOD (Fashion-MNIST classes 6–9) vs ID, seed 0", ["near"]));
        File.WriteAllText(Path.Combine(outDirectory, prefix + "-roc-far.svg"), Roc(results[0], "Far-OOD (digits, noise, blank, inverted) vs ID, seed 0", FarSets));
        stdout.Write(report.Summary());
        stdout.WriteLine($"wrote {prefix}.md, {prefix}.json, {prefix}-roc-near.svg, {prefix}-roc-far.svg to {outDirectory}");
        return ExitCodes.Success;
    }

    internal static IReadOnlyList<LayerChoice> ParseLayers(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
        {
            return [];
        }

        try
        {
            return spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(LayerChoice.Parse).ToArray();
        }
        catch (FormatException e)
        {
            throw new UsageException($"--layers: {e.Message}", e);
        }
    }

    /// <summary>
    /// The model augmented with <paramref name="layers"/>, built once under CACHE/augmented/ keyed by the model
    /// version and the layer spec; its own version (graph and manifest, α included) keys the embedding cache.
    /// </summary>
    private static ModelPackage Augmented(ModelPackage model, IReadOnlyList<LayerChoice> layers, string cacheDirectory, TextWriter log)
    {
        string spec = string.Join(',', layers.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Tensor}:{l.Alpha:R}")));
        string key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(spec)))[..16];
        string path = Path.Combine(cacheDirectory, "augmented", $"{model.Version[..16]}-{key}", Path.GetFileName(model.ModelPath));
        if (File.Exists(path) && File.Exists(ModelPackage.ManifestPathFor(path)))
        {
            return ModelPackage.Load(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            ModelPackage augmented = ModelAugmentation.Augment(model, layers, path);
            log.WriteLine($"augmented {model.Manifest.Name} with {spec} -> {path}");
            return augmented;
        }
        catch (NotSupportedException e)
        {
            throw new UsageException($"--layers: {e.Message}", e);
        }
    }

    internal static LayerStates Select(LayerStates source, int[] rows) => new(source.Layers, Select(source.Values, rows));

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
        foreach (OodMethod method in result.Methods)
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
        + "  sisom eval ood --out docs/results" + Environment.NewLine
        + "  sisom eval ood --model small_cnn.onnx --layers /n/Relu_2_output_0:10,/n/Relu_3_output_0:100 --out docs/results";
}
