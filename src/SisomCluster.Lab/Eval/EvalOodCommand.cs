using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SisomCluster.Cli;
using SisomCluster.Core;
using SisomCluster.Core.Evaluation;
using SisomCluster.Core.Scoring;
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
    private readonly Option<int> _firstSeed = new("--first-seed") { Description = "The first seed: seeds run from it to it + --seeds - 1 (held-out seeds for a score designed on seeds 0..2).", DefaultValueFactory = _ => 0 };
    private readonly Option<string?> _layers = new("--layers") { Description = "Also multi-layer SISOM/SISOMe: layer tensors and their alpha, TENSOR:ALPHA,... (sisom model augment's --layer), or TENSOR:auto for the alpha of minimal r_avg of that layer's states (per seed, over --layer-alpha-grid); needs a --model with logits. The augmented models are built once into the cache.", HelpName = "TENSOR:ALPHA|auto,..." };
    private readonly Option<string> _layerAlphaGrid = new("--layer-alpha-grid") { Description = "The alpha values tried for every TENSOR:auto layer of --layers (one augmented model and embedding pass per value).", HelpName = "A,B,...", DefaultValueFactory = _ => string.Join(',', LayerAlphaSearch.DefaultGrid.Select(g => g.ToString("R", CultureInfo.InvariantCulture))) };

    public EvalOodCommand()
        : base("ood", Describe())
    {
        _shared.AddTo(this);
        Options.Add(_labeledPerClass);
        Options.Add(_farCount);
        Options.Add(_digits);
        Options.Add(_knnK);
        Options.Add(_layers);
        Options.Add(_firstSeed);
        Options.Add(_layerAlphaGrid);
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
        int firstSeed = parse.GetValue(_firstSeed);
        if (firstSeed < 0)
        {
            throw new UsageException($"--first-seed must be >= 0, got {firstSeed}.");
        }

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
        if (modelHead is not null && modelHead.ClassCount < IdClasses)
        {
            throw new UsageException($"--model {model.Manifest.Name}: its final layer has {modelHead.ClassCount} classes; the ID classes 0–{IdClasses - 1} need at least {IdClasses}.");
        }

        IReadOnlyList<LayerSpec> layers = ParseLayers(parse.GetValue(_layers));
        double[] layerGrid = layers.Any(l => l.Alpha is null) ? ParseGrid(parse.GetRequiredValue(_layerAlphaGrid)) : [];
        if (layers.Count > 0 && modelHead is null)
        {
            throw new UsageException($"--layers: model {model.Manifest.Name} has no logits, so its layers have no gradient; give a classifier (or augment a backbone with its head first: sisom model augment --head) .");
        }

        // One model without layers; with layers one augmented model, or one per α of the grid when a layer's α is
        // auto (auto layers at that α, the others at theirs): s_j depends on α_j only, so the states of layer j at
        // α come from the model of that α.
        string cacheDirectory = parse.GetRequiredValue(_shared.Cache);
        ModelPackage[] models = layers.Count == 0
            ? [model]
            : (layerGrid.Length == 0 ? [0.0] : layerGrid).Select(g => Augmented(model, layers.Select(l => new LayerChoice(l.Tensor, l.Alpha ?? g)).ToArray(), cacheDirectory, stderr)).ToArray();
        var embeddings = new List<OodEmbeddings>(models.Length);
        int embedded = 0;
        double embedSeconds = 0;
        foreach (ModelPackage variant in models)
        {
            using EmbeddingCache cache = _shared.OpenCache(parse, stderr, variant);
            embeddings.Add(OodEmbeddings.Embed(cache, splits, digits, farCount, firstSeed, seeds));
            embedded += cache.Embedded;
            embedSeconds += cache.EmbedSeconds;
        }

        OodEmbeddings sets = embeddings[0];
        int[] idTestRows = Rows(splits.Test.Labels, l => l < IdClasses);
        int[] nearRows = Rows(splits.Test.Labels, l => l >= IdClasses);
        FeatureMatrix idTest = Select(sets.Test.Features, idTestRows);
        int[] idTestLabels = idTestRows.Select(i => splits.Test.Labels[i]).ToArray();
        FeatureMatrix near = Select(sets.Test.Features, nearRows);
        string[] reportSets = ["near", "far", .. FarSets];
        var results = new List<OodBenchmarkResult>();
        var layerAlphas = layers.Select(_ => new List<LayerAlphaChoice>()).ToArray();
        for (int run = 0; run < seeds; run++)
        {
            int seed = firstSeed + run;
            int[] labeledRows = LabeledSubset(splits.Train.Labels, labeledPerClass, seed);
            int[] labeledLabels = labeledRows.Select(i => splits.Train.Labels[i]).ToArray();
            OodLayerStates? states = null;
            if (layers.Count > 0)
            {
                // Which model's states each layer takes: the fixed layers any (0), an auto layer that of its α.
                var source = new int[layers.Count];
                for (int j = 0; j < layers.Count; j++)
                {
                    if (layers[j].Alpha is null)
                    {
                        int layer = j;
                        LayerAlphaChoice choice = LayerAlphaSearch.Choose(
                            layerGrid,
                            alpha => Columns(Select(embeddings[Array.IndexOf(layerGrid, alpha)].Train.States!, labeledRows), layer),
                            labeledLabels,
                            modelHead!.ClassCount);
                        source[j] = Array.IndexOf(layerGrid, choice.Alpha);
                        layerAlphas[j].Add(choice);
                    }
                }

                LayerStates Compose(Func<OodEmbeddings, LayerStates?> pick) => ComposeLayers(embeddings.Select(e => pick(e)!).ToArray(), source);
                LayerStates test = Compose(e => e.Test.States);
                states = new OodLayerStates(
                    Select(Compose(e => e.Train.States), labeledRows),
                    Select(test, idTestRows),
                    new Dictionary<string, LayerStates>
                    {
                        ["near"] = Select(test, nearRows),
                        ["digits"] = Compose(e => e.FixedFar["digits"].States),
                        ["noise"] = Compose(e => e.Noise[run].States),
                        ["blank"] = Compose(e => e.FixedFar["blank"].States),
                        ["inverted"] = Compose(e => e.FixedFar["inverted"].States),
                    });
            }

            OodBenchmarkResult result = OodBenchmark.Run(
                Select(sets.Train.Features, labeledRows),
                labeledLabels,
                IdClasses,
                idTest,
                idTestLabels,
                [new("near", near), new("digits", sets.FixedFar["digits"].Features), new("noise", sets.Noise[run].Features), new("blank", sets.FixedFar["blank"].Features), new("inverted", sets.FixedFar["inverted"].Features)],
                new OodBenchmarkOptions { KnnK = parse.GetValue(_knnK), FixedHead = modelHead },
                states);
            results.Add(result);
            string multi = states is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; multi-layer near {result.Metrics(OodMethod.SisomMultiLayer, "near").Auroc:F3}, far {result.Metrics(OodMethod.SisomMultiLayer, FarSets).Auroc:F3}");
            string auto = layerGrid.Length == 0 ? string.Empty : "; layer alpha (auto) " + string.Join(", ", layers.Select((l, j) => l.Alpha is null ? string.Create(CultureInfo.InvariantCulture, $"{l.Tensor} {layerAlphas[j][^1].Alpha:G}") : null).OfType<string>());
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: head accuracy {result.IdAccuracy:F3} on {idTestRows.Length} ID test items, alpha {result.Alpha:G}, SISOM near AUROC {result.Metrics(OodMethod.Sisom, "near").Auroc:F3}, far AUROC {result.Metrics(OodMethod.Sisom, FarSets).Auroc:F3}{multi}{auto}"));
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
            layers.Count == 0 ? null : string.Join(", ", layers.Select((l, j) => DescribeLayer(l, layerAlphas[j], layerGrid))),
            prefix)
        {
            LayerAlphas = layerGrid.Length == 0 ? null : layers.Select((l, j) => (l, j)).Where(p => p.l.Alpha is null).ToDictionary(p => p.l.Tensor, p => (IReadOnlyList<LayerAlphaChoice>)layerAlphas[p.j], StringComparer.Ordinal),
        };
        OodReport report = OodReport.Build(results, reportSets, EvalOptions.CommandLine(parse), sizes, embedded, embedSeconds, clock.Elapsed.TotalSeconds, setup);
        File.WriteAllText(Path.Combine(outDirectory, prefix + ".md"), report.Markdown());
        File.WriteAllText(Path.Combine(outDirectory, prefix + ".json"), report.Json());
        File.WriteAllText(Path.Combine(outDirectory, prefix + "-roc-near.svg"), Roc(results[0], "Near-OOD (Fashion-MNIST classes 6–9) vs ID, seed 0", ["near"]));
        File.WriteAllText(Path.Combine(outDirectory, prefix + "-roc-far.svg"), Roc(results[0], "Far-OOD (digits, noise, blank, inverted) vs ID, seed 0", FarSets));
        stdout.Write(report.Summary());
        stdout.WriteLine($"wrote {prefix}.md, {prefix}.json, {prefix}-roc-near.svg, {prefix}-roc-far.svg to {outDirectory}");
        return ExitCodes.Success;
    }

    internal static IReadOnlyList<LayerSpec> ParseLayers(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
        {
            return [];
        }

        try
        {
            LayerSpec[] layers = spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(LayerSpec.Parse).ToArray();
            string? twice = layers.GroupBy(l => l.Tensor, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
            return twice is null ? layers : throw new FormatException($"layer tensor '{twice}' is listed twice.");
        }
        catch (FormatException e)
        {
            throw new UsageException($"--layers: {e.Message}", e);
        }
    }

    internal static double[] ParseGrid(string spec)
    {
        var grid = new List<double>();
        foreach (string text in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double alpha) || !(alpha > 0) || double.IsInfinity(alpha))
            {
                throw new UsageException($"--layer-alpha-grid: '{text}' is not a positive finite number.");
            }

            grid.Add(alpha);
        }

        if (grid.Count == 0 || grid.Distinct().Count() != grid.Count)
        {
            throw new UsageException($"--layer-alpha-grid '{spec}': give distinct positive values, e.g. 0.01,1,100.");
        }

        return [.. grid.Order()];
    }

    /// <summary>The states of layer <paramref name="layer"/> alone (its columns of z's layer part).</summary>
    internal static FeatureMatrix Columns(LayerStates states, int layer)
    {
        int offset = states.Layers.Take(layer).Sum(l => l.Width);
        int width = states.Layers[layer].Width;
        var data = new float[states.Rows * width];
        for (int i = 0; i < states.Rows; i++)
        {
            states.Values.Row(i).Slice(offset, width).CopyTo(data.AsSpan(i * width, width));
        }

        return new FeatureMatrix(data, states.Rows, width);
    }

    /// <summary>
    /// Layer states whose layer j is taken from <paramref name="variants"/>[<paramref name="source"/>[j]] (the same
    /// layers and rows, computed with different α).
    /// </summary>
    internal static LayerStates ComposeLayers(IReadOnlyList<LayerStates> variants, int[] source)
    {
        LayerStates first = variants[0];
        if (variants.Count == 1)
        {
            return first;
        }

        var layers = new StateLayer[first.Layers.Count];
        var data = new float[first.Rows * first.Width];
        int offset = 0;
        for (int j = 0; j < layers.Length; j++)
        {
            LayerStates from = variants[source[j]];
            if (from.Rows != first.Rows || from.Layers[j].Name != first.Layers[j].Name || from.Layers[j].Width != first.Layers[j].Width)
            {
                throw new InvalidOperationException($"Layer {j} differs between the augmented models ({from.Layers[j]} vs {first.Layers[j]}).");
            }

            int width = first.Layers[j].Width;
            for (int i = 0; i < first.Rows; i++)
            {
                from.Values.Row(i).Slice(offset, width).CopyTo(data.AsSpan((i * first.Width) + offset, width));
            }

            layers[j] = from.Layers[j];
            offset += width;
        }

        return new LayerStates(layers, new FeatureMatrix(data, first.Rows, first.Width));
    }

    private static string DescribeLayer(LayerSpec layer, IReadOnlyList<LayerAlphaChoice> chosen, double[] grid) =>
        layer.Alpha is { } alpha
            ? string.Create(CultureInfo.InvariantCulture, $"`{layer.Tensor}` (α {alpha:G})")
            : string.Create(CultureInfo.InvariantCulture, $"`{layer.Tensor}` (α auto over {{{string.Join(", ", grid.Select(g => g.ToString("G", CultureInfo.InvariantCulture)))}}}, per seed: {string.Join(", ", chosen.Select(c => c.Alpha.ToString("G", CultureInfo.InvariantCulture)))})");

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
        + "  sisom eval ood --model small_cnn.onnx --layers /n/Relu_2_output_0:10,/n/Relu_3_output_0:100 --out docs/results" + Environment.NewLine
        + "  sisom eval ood --model id_cnn.onnx --layers /layer1/relu/Relu_output_0:auto,/layer2/relu/Relu_output_0:auto --out docs/results";
}
