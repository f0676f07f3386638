using System.CommandLine;
using System.Globalization;
using SisomCluster.Core;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using SisomCluster.Inference.Augmentation;
using SisomCluster.Inference.Files;

namespace SisomCluster.Cli.Offline;

/// <summary>
/// <c>sisom offline score</c>: builds a scoring context from a labeled reference set (SISOM.md §3.4–§8.1)
/// and scores query features against it, from .npy files to a CSV, in one process.
/// </summary>
internal sealed class OfflineScoreCommand : Command
{
    private readonly Option<string> _reference = FileOption("--reference", "ref.npy", "Reference features h, N x D float32/float64 .npy (the labeled set T).", required: true);
    private readonly Option<string> _referenceLabels = FileOption("--reference-labels", "labels.txt", "True labels of the reference rows: one integer in 0..K-1 per line.", required: true);
    private readonly Option<string> _headWeights = FileOption("--head-weights", "W.npy", "Final linear layer weights W, K x D .npy (PyTorch/scikit-learn layout). With --head-bias, instead of --head.", required: false);
    private readonly Option<string> _headBias = FileOption("--head-bias", "b.npy", "Final linear layer bias b, K values .npy.", required: false);
    private readonly Option<string> _head = FileOption("--head", "head.json|model.onnx", "A head fitted by `sisom offline fit-head` (head.json), or a classifier .onnx whose final Gemm/MatMul gives W and b; instead of --head-weights/--head-bias.", required: false);
    private readonly Option<string> _queries = FileOption("--queries", "q.npy", "Query features h to score, M x D .npy.", required: true);
    private readonly Option<string> _referenceStates = FileOption("--reference-states", "ref_states.npy", "Layer states of the reference rows from an augmented model (offline embed --states-out); z = concat(s_pen, layer states). With --query-states.", required: false);
    private readonly Option<string> _queryStates = FileOption("--query-states", "q_states.npy", "Layer states of the query rows, from the same layers as --reference-states.", required: false);
    private readonly Option<string> _out = FileOption("--out", "scores.csv", "CSV file to write, one row per query (written atomically).", required: true);
    private readonly Option<string> _statsOut = FileOption("--stats-out", "stats.json", "Optional JSON file with alpha, the alpha grid, ID statistics and thresholds.", required: false);

    private readonly Option<double?> _alpha = new("--alpha")
    {
        Description = "Sigmoid steepness alpha: 'auto' picks the value with minimal r_avg from {1, 10, 100, 1e3, 1e4, 1e5} (SISOM.md 3.4), or a positive number. [default: auto]",
        HelpName = "auto|VALUE",
        CustomParser = OptionParsers.AutoOrNumber("--alpha", OptionParsers.IsPositiveFinite, "a positive number"),
    };

    private readonly Option<double?> _sisomeWeight = new("--sisome-weight")
    {
        Description = "SISOMe energy weight w: 'auto' is min(r_avg, 1), or a fixed value in [0, 1]. [default: auto]",
        HelpName = "auto|W",
        CustomParser = OptionParsers.AutoOrNumber("--sisome-weight", w => w >= 0 && w <= 1, "a number in [0, 1]"),
    };

    private readonly Option<double> _quantile = new("--quantile")
    {
        Description = "Target ID true-positive rate q of the OOD thresholds, in (0, 1].",
        HelpName = "Q",
        DefaultValueFactory = _ => 0.95,
        CustomParser = OptionParsers.Number("--quantile", q => q > 0 && q <= 1, "a number in (0, 1]"),
    };

    private readonly Option<int> _neighbourRank = new("--neighbour-rank")
    {
        Description = "Same-class reference used for d_in: 1 = nearest (the spec), 2 = second nearest (the reference code).",
        HelpName = "1|2",
        DefaultValueFactory = _ => 1,
        CustomParser = OptionParsers.Choice("--neighbour-rank", new Dictionary<string, int> { ["1"] = 1, ["2"] = 2 }),
    };

    private readonly Option<int> _knnK = new("--knn-k")
    {
        Description = "k of the KNN score: the k-th nearest distance of the L2-normalised features among the L2-normalised reference features (SISOM.md 7.1).",
        HelpName = "K",
        DefaultValueFactory = _ => Core.Baselines.KnnScorer.DefaultK,
        CustomParser = OptionParsers.Integer("--knn-k", k => k >= 1, "an integer >= 1"),
    };

    private readonly Option<bool> _noKnn = new("--no-knn")
    {
        Description = "Skip the KNN baseline (its leave-one-out threshold over the references and the query search): knn is NaN and ood_knn false. SISOM-only scoring, e.g. for like-for-like benchmarks; by default KNN is computed.",
    };

    /// <summary>
    /// Query rows scored at a time by default: 16 384 × 512-d is 32 MB of features. Measured on 10⁶ × 512 queries (2 cores):
    /// 14.1 s and 0.87 GB peak at 16 384, 14.6 s and 1.8–2.5 GB at 65 536; the whole file at once took 23–27 s and 7.3 GB,
    /// most of the difference the kernel's time faulting in fresh pages (docs/results/bench-rescore-noknn.md).
    /// </summary>
    public const int DefaultBatchRows = 1 << 14;

    private readonly Option<int> _batchRows = new("--batch-rows")
    {
        Description = "Query rows read and scored at a time: memory grows with this, not with the size of --queries (the CSV is the same for any value).",
        HelpName = "N",
        DefaultValueFactory = _ => DefaultBatchRows,
        CustomParser = OptionParsers.Integer("--batch-rows", n => n >= 1, "an integer >= 1"),
    };

    private static readonly Dictionary<string, ScoringPrecision> Precisions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["float32"] = ScoringPrecision.Float32,
        ["float64"] = ScoringPrecision.Float64,
    };

    // A string, not the enum, so that help shows the spelling the option accepts ("float32", not "Float32").
    private readonly Option<string> _precision = new("--precision")
    {
        Description = "Precision of states and distances: float32 (fast) or float64 (matches float64 references to the last digits).",
        HelpName = "float32|float64",
        DefaultValueFactory = _ => "float32",
        CustomParser = OptionParsers.Choice("--precision", Precisions.Keys.ToDictionary(k => k, k => k)),
    };

    public OfflineScoreCommand()
        : base("score", Describe())
    {
        Options.Add(_reference);
        Options.Add(_referenceLabels);
        Options.Add(_headWeights);
        Options.Add(_headBias);
        Options.Add(_head);
        Validators.Add(result =>
        {
            bool file = result.GetResult(_head) is not null;
            bool weights = result.GetResult(_headWeights) is not null;
            bool bias = result.GetResult(_headBias) is not null;
            if (file == (weights || bias) || weights != bias)
            {
                result.AddError("give the head either as --head head.json or as --head-weights W.npy with --head-bias b.npy.");
            }
        });
        Options.Add(_queries);
        Options.Add(_referenceStates);
        Options.Add(_queryStates);
        Validators.Add(result =>
        {
            if ((result.GetResult(_referenceStates) is null) != (result.GetResult(_queryStates) is null))
            {
                result.AddError("--reference-states and --query-states go together (multi-layer SISOM needs both).");
            }
        });
        Options.Add(_alpha);
        Options.Add(_sisomeWeight);
        Options.Add(_quantile);
        Options.Add(_neighbourRank);
        Options.Add(_knnK);
        Options.Add(_noKnn);
        Options.Add(_precision);
        Options.Add(_batchRows);
        Options.Add(_out);
        Options.Add(_statsOut);
        SetAction(Execute);
    }

    private int Execute(ParseResult parseResult)
    {
        TextWriter stdout = parseResult.InvocationConfiguration.Output;
        string outPath = parseResult.GetRequiredValue(_out);
        string? statsPath = parseResult.GetValue(_statsOut);
        if (statsPath is not null && string.Equals(Path.GetFullPath(statsPath), Path.GetFullPath(outPath), StringComparison.Ordinal))
        {
            throw new UsageException($"--out and --stats-out both name {outPath}.");
        }

        // The kernels a ReadyToRun image cannot hold are JIT-compiled beside the reading of the inputs, which keeps one core
        // busy (not awaited: the real call compiles whatever the warm-up has not reached yet; on one core it would only compete).
        if (Environment.ProcessorCount > 1)
        {
            bool knn = !parseResult.GetValue(_noKnn);
            _ = Task.Run(() => KernelWarmUp.Run(knn));
        }

        using ScoreInputs inputs = ScoreInputs.Load(
            parseResult.GetRequiredValue(_reference),
            parseResult.GetRequiredValue(_referenceLabels),
            parseResult.GetValue(_headWeights),
            parseResult.GetValue(_headBias),
            parseResult.GetValue(_head),
            parseResult.GetRequiredValue(_queries));

        // Open the outputs before the (possibly long) scoring, so an unwritable path fails at once.
        using AtomicFile csv = CreateOutput("--out", outPath);
        using AtomicFile? stats = statsPath is null ? null : CreateOutput("--stats-out", statsPath);

        double? alpha = OptionParsers.AutoOrValue(parseResult.GetValue(_alpha));
        var options = new ScoringContextOptions
        {
            Alpha = alpha,
            SisomeWeight = OptionParsers.AutoOrValue(parseResult.GetValue(_sisomeWeight)),
            Quantile = parseResult.GetValue(_quantile),
            NeighbourRank = parseResult.GetValue(_neighbourRank),
            KnnK = parseResult.GetValue(_knnK),
            ComputeKnn = !parseResult.GetValue(_noKnn),
            Precision = Precisions[parseResult.GetRequiredValue(_precision)],
        };
        LayerStates? referenceStates = ReadStates(parseResult.GetValue(_referenceStates), "--reference-states", inputs.ReferenceFeatures.Rows);
        LayerStates? queryStates = ReadStates(parseResult.GetValue(_queryStates), "--query-states", inputs.QueryCount);
        if (referenceStates is not null && !LayerStates.SameLayers(referenceStates.Layers, queryStates!.Layers))
        {
            throw new UsageException("--reference-states and --query-states come from different layers (names, alpha or widths differ).");
        }

        ScoringContext context = ScoringContext.Build(inputs.Head, inputs.ReferenceFeatures, inputs.ReferenceLabels, options, referenceStates);
        var scorer = new SisomScorer(context);

        // The queries stream through one buffer a batch at a time: each query's scores depend on the context alone, so the
        // CSV is the same whatever the batch size, and memory holds one batch and its scores, not the whole query file.
        // At most the file's rows, and at most what one array holds (a huge --batch-rows means "all at once", not an overflow).
        int d = inputs.Head.FeatureDimension;
        int batchRows = Math.Min(Math.Min(parseResult.GetValue(_batchRows), Math.Max(1, inputs.QueryCount)), Array.MaxLength / d);
        float[] buffer = GC.AllocateUninitializedArray<float>(batchRows * d);
        var flagged = new OodCounts();
        using (ScoreCsv.Writer rows = ScoreCsv.Open(csv.Stream))
        {
            while (true)
            {
                int first = inputs.QueriesRead;
                if (inputs.ReadQueries(buffer) is not { } block)
                {
                    break;
                }

                SisomScoreBatch batch = scorer.Score(block, default, queryStates is null ? null : Slice(queryStates, first, block.Rows));
                rows.Write(batch, first);
                flagged.Add(batch);
            }
        }

        if (stats is not null)
        {
            ScoreStatsJson.Write(stats.Stream, context);
        }

        csv.Commit();
        stats?.Commit();

        int n = inputs.QueryCount;
        stdout.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"scored {n} queries against {context.Reference.Count} references (K = {inputs.Head.ClassCount}, D = {inputs.Head.FeatureDimension}): alpha {context.Alpha:R} ({(alpha is null ? "auto" : "fixed")}), r_avg {context.Statistics.RAvg:G6}, sisome weight {context.SisomeWeight:G6}"));
        stdout.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"flagged OOD at q = {context.Quantile:R}: sisom {flagged.Sisom}/{n}, sisome {flagged.Sisome}/{n}, knn {flagged.Knn}/{n}, energy {flagged.Energy}/{n}"));
        stdout.WriteLine(statsPath is null ? $"wrote {outPath}" : $"wrote {outPath} and {statsPath}");
        return ExitCodes.Success;
    }

    /// <summary>Rows [first, first + count) of a query file's layer states (read whole: they come from augmented models, not pools of 10⁶).</summary>
    private static LayerStates Slice(LayerStates states, int first, int count) =>
        first == 0 && count == states.Rows ? states
            : new LayerStates(states.Layers, new FeatureMatrix(states.Values.Data.AsSpan(first * states.Width, count * states.Width).ToArray(), count, states.Width));

    /// <summary>How many queries each score flagged, summed over the batches.</summary>
    private sealed class OodCounts
    {
        public int Sisom { get; private set; }

        public int Sisome { get; private set; }

        public int Knn { get; private set; }

        public int Energy { get; private set; }

        public void Add(SisomScoreBatch batch)
        {
            Sisom += batch.OodSisom.Count(f => f);
            Sisome += batch.OodSisome.Count(f => f);
            Knn += batch.OodKnn.Count(f => f);
            Energy += batch.OodEnergy.Count(f => f);
        }
    }

    private static LayerStates? ReadStates(string? path, string optionName, int rows)
    {
        if (path is null)
        {
            return null;
        }

        if (!File.Exists(path))
        {
            throw new UsageException($"{optionName} {path}: file not found.");
        }

        LayerStates states = LayerStatesFile.Read(path);
        return states.Rows == rows ? states : throw new UsageException($"{optionName} {path}: {states.Rows} rows, the features have {rows}.");
    }

    private static AtomicFile CreateOutput(string optionName, string path)
    {
        try
        {
            return AtomicFile.Create(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{optionName} {path}: cannot write ({e.Message.TrimEnd('.')}).", e);
        }
    }

    private static Option<string> FileOption(string name, string helpName, string description, bool required) =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            Required = required,
        };

    private static string Describe() =>
        "Score query features against a labeled reference set with SISOM and SISOMe (higher = more informative, more likely OOD)." + Environment.NewLine
        + "Writes one CSV row per query: predicted class, nearest reference, d_in, d_out, ratio, energy, both scores, knn (k-th nearest distance of the L2-normalised features, --knn-k), the OOD flags of sisom, sisome, knn and energy (each at its own threshold at q), the no-reference flag, and the logit baselines msp, max_logit, entropy, margin." + Environment.NewLine
        + Environment.NewLine
        + "Example:" + Environment.NewLine
        + "  sisom offline score --reference ref.npy --reference-labels labels.txt --head-weights W.npy --head-bias b.npy --queries q.npy --out scores.csv --stats-out stats.json";
}
