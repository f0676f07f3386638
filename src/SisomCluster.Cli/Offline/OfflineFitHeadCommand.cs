using System.CommandLine;
using System.Globalization;
using SisomCluster.Core;
using SisomCluster.Core.Heads;
using SisomCluster.Inference.Files;
using SisomCluster.Inference.Heads;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Cli.Offline;

/// <summary>
/// <c>sisom offline fit-head</c>: a multinomial logistic-regression head on labeled embeddings — the W and b
/// SISOM needs when the backbone has no classifier. Reports training and held-out accuracy.
/// </summary>
internal sealed class OfflineFitHeadCommand : Command
{
    private readonly Option<string> _embeddings = new("--embeddings") { Description = "Features of the labeled items, N x D .npy (e.g. from offline embed).", HelpName = "emb.npy", Required = true };
    private readonly Option<string> _labels = new("--labels") { Description = "One integer label per line, one per row of --embeddings.", HelpName = "labels.txt", Required = true };
    private readonly Option<string> _out = new("--out") { Description = "The head as JSON (for offline score --head).", HelpName = "head.json", Required = true };
    private readonly Option<int?> _classes = new("--classes") { Description = "K; default: the largest label + 1." };
    private readonly Option<double> _l2 = new("--l2") { Description = "L2 penalty on W (mean cross-entropy + l2/2 ||W||^2).", DefaultValueFactory = _ => LogisticRegressionOptions.Default.L2 };
    private readonly Option<double> _heldOut = new("--held-out") { Description = "Fraction held out (stratified) to report accuracy on; the head is fitted on the rest. 0 = fit on all.", DefaultValueFactory = _ => 0.2 };
    private readonly Option<int> _seed = new("--seed") { Description = "Seed of the held-out split.", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _maxIterations = new("--max-iterations") { Description = "L-BFGS iteration limit.", DefaultValueFactory = _ => LogisticRegressionOptions.Default.MaxIterations };

    public OfflineFitHeadCommand()
        : base("fit-head", Describe())
    {
        Options.Add(_embeddings);
        Options.Add(_labels);
        Options.Add(_out);
        Options.Add(_classes);
        Options.Add(_l2);
        Options.Add(_heldOut);
        Options.Add(_seed);
        Options.Add(_maxIterations);
        SetAction(Execute);
    }

    private int Execute(ParseResult parse)
    {
        TextWriter stdout = parse.InvocationConfiguration.Output;
        string embeddingsPath = parse.GetRequiredValue(_embeddings);
        string labelsPath = parse.GetRequiredValue(_labels);
        double heldOutFraction = parse.GetValue(_heldOut);
        if (!(heldOutFraction >= 0 && heldOutFraction < 1))
        {
            throw new UsageException($"--held-out must lie in [0, 1), got {heldOutFraction}.");
        }

        foreach (string path in new[] { embeddingsPath, labelsPath })
        {
            if (!File.Exists(path))
            {
                throw new UsageException($"{path}: file not found.");
            }
        }

        NpyArray embeddings = NpyFile.Read(embeddingsPath);
        if (embeddings.Rank != 2)
        {
            throw new UsageException($"{embeddingsPath}: embeddings must be a 2-D array N x D, got shape {NpyFile.DescribeShape(embeddings.Shape.ToArray())}.");
        }

        int[] labels = LabelFile.Read(labelsPath);
        int n = embeddings.Shape[0];
        int d = embeddings.Shape[1];
        if (labels.Length != n)
        {
            throw new UsageException($"{labelsPath}: {labels.Length} labels for {n} rows in {embeddingsPath}; there must be one label per row.");
        }

        int k = parse.GetValue(_classes) ?? (labels.Length == 0 ? 0 : labels.Max() + 1);
        if (k < 2)
        {
            throw new UsageException($"a head needs K >= 2 classes, got K = {k} (set --classes, or check {labelsPath}).");
        }

        LabelFile.EnsureInRange(labels, k, labelsPath, "--classes");
        var all = new FeatureMatrix(embeddings.ToSingle(), n, d);
        (int[] train, int[] heldOut) = heldOutFraction > 0 ? StratifiedSplit.Split(labels, heldOutFraction, parse.GetValue(_seed)) : (Enumerable.Range(0, n).ToArray(), []);
        var options = new LogisticRegressionOptions { L2 = parse.GetValue(_l2), MaxIterations = parse.GetValue(_maxIterations) };
        FittedHead fitted = LogisticRegressionFitter.Fit(Rows(all, train), train.Select(i => labels[i]).ToArray(), k, options);
        double? heldOutAccuracy = heldOut.Length > 0 ? HeadEvaluation.Accuracy(fitted.Head, Rows(all, heldOut), heldOut.Select(i => labels[i]).ToArray()) : null;

        HeadFile file = HeadFile.FromLinearHead(fitted.Head) with
        {
            L2 = options.L2,
            TrainingAccuracy = fitted.TrainingAccuracy,
            HeldOutAccuracy = heldOutAccuracy,
            TrainingCount = train.Length,
            HeldOutCount = heldOut.Length,
        };
        using (AtomicFile output = AtomicFile.Create(parse.GetRequiredValue(_out)))
        {
            file.Write(output.Stream);
            output.Commit();
        }

        stdout.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"fitted K = {k}, D = {d} on {train.Length} items in {fitted.Iterations} iterations ({(fitted.Converged ? "converged" : "iteration limit")}): training accuracy {fitted.TrainingAccuracy:P1}{(heldOutAccuracy is { } h ? $", held-out accuracy {h:P1} on {heldOut.Length} items" : string.Empty)}"));
        stdout.WriteLine($"wrote {parse.GetRequiredValue(_out)}");
        return ExitCodes.Success;
    }

    private static FeatureMatrix Rows(FeatureMatrix all, int[] rows)
    {
        var data = new float[rows.Length * all.Columns];
        for (int i = 0; i < rows.Length; i++)
        {
            all.Row(rows[i]).CopyTo(data.AsSpan(i * all.Columns, all.Columns));
        }

        return new FeatureMatrix(data, rows.Length, all.Columns);
    }

    private static string Describe() =>
        "Fit a multinomial logistic-regression head (W, b) on labeled embeddings; reports training and held-out accuracy." + Environment.NewLine
        + Environment.NewLine
        + "Example:" + Environment.NewLine
        + "  sisom offline fit-head --embeddings emb.npy --labels labels.txt --out head.json";
}
