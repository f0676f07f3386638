using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SisomCluster.Cli;
using SisomCluster.Core;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.Selection;
using SisomCluster.Lab.ActiveLearning;

namespace SisomCluster.Lab.Eval;

/// <summary>
/// <c>sisom eval al</c>: pool-based active learning on frozen Fashion-MNIST features. Closed set: all ten
/// classes. Open set: classes 0–5 with a fraction of classes 6–9 mixed into the pool as OOD items (querying
/// one spends a label and teaches nothing). Seven strategies, accuracy per round, area under the learning curve.
/// </summary>
internal sealed class EvalAlCommand : Command
{
    private static readonly Dictionary<string, QueryStrategy> StrategyNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["random"] = QueryStrategy.Random,
        ["entropy"] = QueryStrategy.Entropy,
        ["margin"] = QueryStrategy.Margin,
        ["coreset"] = QueryStrategy.CoreSet,
        ["sisom"] = QueryStrategy.Sisom,
        ["sisome"] = QueryStrategy.Sisome,
        ["sisom-diversity"] = QueryStrategy.SisomDiversity,
        ["sisom-production"] = QueryStrategy.SisomProduction,
        ["sisom-guarded"] = QueryStrategy.SisomGuarded,
        ["sisom-guarded-balanced"] = QueryStrategy.SisomGuardedBalanced,
    };

    private readonly EvalOptions _shared = new();
    private readonly Option<int> _initial = new("--initial") { Description = "Labels drawn at random from the ID pool items before round 1.", DefaultValueFactory = _ => 100 };
    private readonly Option<int> _rounds = new("--rounds") { Description = "Query rounds.", DefaultValueFactory = _ => 8 };
    private readonly Option<int> _batch = new("--batch") { Description = "Items queried per round.", DefaultValueFactory = _ => 100 };
    private readonly Option<double> _openFraction = new("--open-set-fraction") { Description = "Fraction of the open-set pool that is OOD (classes 6-9); 0 skips the open-set variant.", DefaultValueFactory = _ => 0.2 };
    private readonly Option<double> _diversity = new("--diversity-factor") { Description = "M = factor x batch candidates walked by sisom-diversity.", DefaultValueFactory = _ => 4 };
    private readonly Option<int> _maxIterations = new("--max-iterations") { Description = "L-BFGS iteration limit of each head refit.", DefaultValueFactory = _ => LogisticRegressionOptions.Default.MaxIterations };
    private readonly Option<string> _oodScore = new("--ood-score") { Description = $"The run's OOD score whose flag at q the production selections exclude: {string.Join(", ", OodScores.All)}.", DefaultValueFactory = _ => OodScores.Default, CustomParser = OptionParsers.Choice("--ood-score", TableFormatOption.Names([.. OodScores.All])) };
    private readonly Option<string> _gateScore = new("--gate-score") { Description = $"sisom-guarded's gate score: {string.Join(", ", OodScores.All)}.", DefaultValueFactory = _ => SelectionGates.DefaultScore, CustomParser = OptionParsers.Choice("--gate-score", TableFormatOption.Names([.. OodScores.All])) };
    private readonly Option<double> _gateQuantile = new("--gate-quantile") { Description = "sisom-guarded's gate: items above this quantile of the reference items' leave-one-out gate scores are left out.", DefaultValueFactory = _ => SelectionGates.DefaultQuantile };
    private readonly Option<string> _variants = new("--variants") { Description = "closed, open or both (the open set also needs --open-set-fraction > 0).", DefaultValueFactory = _ => "both", CustomParser = OptionParsers.Choice("--variants", TableFormatOption.Names("both", "closed", "open")) };
    private readonly Option<string[]> _strategies = new("--strategies") { Description = $"Strategies to run: {string.Join(", ", StrategyNames.Keys)} (default: all).", AllowMultipleArgumentsPerToken = true };

    public EvalAlCommand()
        : base("al", Describe())
    {
        _shared.AddTo(this);
        Options.Add(_initial);
        Options.Add(_rounds);
        Options.Add(_batch);
        Options.Add(_openFraction);
        Options.Add(_diversity);
        Options.Add(_maxIterations);
        Options.Add(_oodScore);
        Options.Add(_gateScore);
        Options.Add(_gateQuantile);
        Options.Add(_variants);
        Options.Add(_strategies);
        SetAction(Execute);
    }

    private int Execute(ParseResult parse)
    {
        TextWriter stdout = parse.InvocationConfiguration.Output;
        TextWriter stderr = parse.InvocationConfiguration.Error;
        _shared.Validate(parse);
        EvalOptions.Positive(parse, _initial);
        EvalOptions.Positive(parse, _rounds);
        EvalOptions.Positive(parse, _batch);
        EvalOptions.Positive(parse, _maxIterations);
        double openFraction = parse.GetValue(_openFraction);
        if (!(openFraction >= 0 && openFraction < 1))
        {
            throw new UsageException($"--open-set-fraction must lie in [0, 1), got {openFraction}.");
        }

        double diversity = parse.GetValue(_diversity);
        if (!(diversity >= 1 && double.IsFinite(diversity)))
        {
            throw new UsageException($"--diversity-factor must be >= 1, got {diversity}.");
        }

        double gateQuantile = parse.GetValue(_gateQuantile);
        if (!(gateQuantile > 0 && gateQuantile < 1))
        {
            throw new UsageException($"--gate-quantile must lie in (0, 1), got {gateQuantile}.");
        }

        QueryStrategy[] strategies = ParseStrategies(parse.GetValue(_strategies));
        var options = new ActiveLearningOptions
        {
            InitialLabels = parse.GetValue(_initial),
            Rounds = parse.GetValue(_rounds),
            BatchSize = parse.GetValue(_batch),
            DiversityFactor = diversity,
            OodScore = parse.GetRequiredValue(_oodScore),
            GateScore = parse.GetRequiredValue(_gateScore),
            GateQuantile = gateQuantile,
            Head = LogisticRegressionOptions.Default with { MaxIterations = parse.GetValue(_maxIterations) },
        };

        var clock = Stopwatch.StartNew();
        int seeds = parse.GetValue(_shared.Seeds);
        FashionSplits splits = FashionSplits.Load(parse.GetValue(_shared.TrainPerClass), parse.GetValue(_shared.TestPerClass), parse.GetRequiredValue(_shared.Fashion));
        using EmbeddingCache cache = _shared.OpenCache(parse, stderr);
        FeatureMatrix train = cache.Features(splits.Train);
        FeatureMatrix test = cache.Features(splits.Test);
        int[] trainLabels = splits.Train.Labels;
        int[] testLabels = splits.Test.Labels;
        int needed = options.InitialLabels + (options.Rounds * options.BatchSize);
        if (needed > train.Rows)
        {
            throw new UsageException($"--initial + --rounds x --batch = {needed} labels, more than the {train.Rows} pool images (raise --train-per-class).");
        }

        string which = parse.GetRequiredValue(_variants);
        if (which == "open" && openFraction == 0)
        {
            throw new UsageException("--variants open needs --open-set-fraction > 0.");
        }

        var variants = new List<AlVariant>();
        if (which != "open")
        {
            variants.Add(Closed(train, trainLabels, test, testLabels));
        }

        if (openFraction > 0 && which != "closed")
        {
            variants.Add(Open(train, trainLabels, test, testLabels, openFraction));
        }

        foreach (AlVariant variant in variants)
        {
            for (int seed = 0; seed < seeds; seed++)
            {
                (FeatureMatrix pool, int[] labels) = variant.Pool(seed);
                foreach (QueryStrategy strategy in strategies)
                {
                    var runClock = Stopwatch.StartNew();
                    ActiveLearningRun run = ActiveLearningSimulation.Run(pool, labels, variant.ClassCount, variant.Test, variant.TestLabels, strategy, seed, options);
                    variant.Runs.Add(run);
                    stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{variant.Name} seed {seed} {AlReport.Name(strategy)}: accuracy {run.Accuracy[0]:F3} -> {run.Accuracy[^1]:F3}, area {run.Area:F4}, OOD queried {run.OodSelected[^1]}, {runClock.Elapsed.TotalSeconds:F1} s ({run.SelectionSeconds:F1} s selecting)"));
                }
            }
        }

        string outDirectory = parse.GetRequiredValue(_shared.Out);
        Directory.CreateDirectory(outDirectory);
        var report = new AlReport(variants, strategies, EvalOptions.CommandLine(parse), options, seeds, cache.Embedded, cache.EmbedSeconds, clock.Elapsed.TotalSeconds);
        File.WriteAllText(Path.Combine(outDirectory, "al.md"), report.Markdown());
        File.WriteAllText(Path.Combine(outDirectory, "al.json"), report.Json());
        var written = new List<string> { "al.md", "al.json" };
        foreach (AlVariant variant in variants)
        {
            string file = $"al-{variant.Name}.svg";
            File.WriteAllText(Path.Combine(outDirectory, file), report.Plot(variant));
            written.Add(file);
        }

        stdout.Write(report.Summary());
        stdout.WriteLine($"wrote {string.Join(", ", written)} to {outDirectory}");
        return ExitCodes.Success;
    }

    private static AlVariant Closed(FeatureMatrix train, int[] trainLabels, FeatureMatrix test, int[] testLabels) =>
        new("closed", "Closed set: all 10 classes", FashionSplits.ClassCount, test, testLabels, _ => (train, trainLabels));

    /// <summary>ID = classes 0–5; OOD items (classes 6–9, labels −1) make up <paramref name="fraction"/> of the pool; the seed picks which.</summary>
    private static AlVariant Open(FeatureMatrix train, int[] trainLabels, FeatureMatrix test, int[] testLabels, double fraction)
    {
        int idClasses = EvalOodCommand.IdClasses;
        int[] idRows = EvalOodCommand.Rows(trainLabels, l => l < idClasses);
        int[] oodRows = EvalOodCommand.Rows(trainLabels, l => l >= idClasses);
        int oodCount = (int)Math.Round(fraction / (1 - fraction) * idRows.Length);
        if (oodCount > oodRows.Length)
        {
            throw new UsageException($"--open-set-fraction {fraction}: needs {oodCount} OOD pool items, the training images hold {oodRows.Length} of classes 6-9.");
        }

        int[] idTestRows = EvalOodCommand.Rows(testLabels, l => l < idClasses);
        return new AlVariant(
            "open",
            string.Create(CultureInfo.InvariantCulture, $"Open set: classes 0–5, {fraction:P0} of the pool OOD (classes 6–9)"),
            idClasses,
            EvalOodCommand.Select(test, idTestRows),
            idTestRows.Select(i => testLabels[i]).ToArray(),
            seed =>
            {
                int[] ood = (int[])oodRows.Clone();
                new Random(1000 + seed).Shuffle(ood);
                int[] rows = [.. idRows, .. ood[..oodCount]];
                int[] labels = rows.Select(r => trainLabels[r] < idClasses ? trainLabels[r] : -1).ToArray();
                return (EvalOodCommand.Select(train, rows), labels);
            });
    }

    private static QueryStrategy[] ParseStrategies(string[]? names)
    {
        if (names is null || names.Length == 0)
        {
            return Enum.GetValues<QueryStrategy>();
        }

        var chosen = new List<QueryStrategy>();
        foreach (string name in names.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!StrategyNames.TryGetValue(name, out QueryStrategy strategy))
            {
                throw new UsageException($"--strategies: unknown strategy '{name}' (use {string.Join(", ", StrategyNames.Keys)}).");
            }

            if (!chosen.Contains(strategy))
            {
                chosen.Add(strategy);
            }
        }

        return [.. chosen];
    }

    private static string Describe() =>
        "Pool-based active learning on frozen Fashion-MNIST features: random, entropy, margin, coreset, sisom, sisome," + Environment.NewLine
        + "sisom-diversity, sisom-production (the product's selection before issue 16), sisom-guarded (its default: OOD gate)," + Environment.NewLine
        + "sisom-guarded-balanced; closed set (10 classes) and open set (20 % OOD in the pool); accuracy per round and area under the curve." + Environment.NewLine
        + Environment.NewLine
        + "Example:" + Environment.NewLine
        + "  sisom eval al --out docs/results";
}
