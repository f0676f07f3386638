using SisomCluster.Core;
using SisomCluster.Core.Evaluation;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.Tests;
using SisomCluster.Core.Tests.Heads;
using SisomCluster.Lab.ActiveLearning;
using SisomCluster.Lab.Evaluation;
using Xunit;

namespace SisomCluster.Lab.Tests.ActiveLearning;

/// <summary>The AL simulation and the OOD benchmark on seeded Gaussian blobs (no model, seconds).</summary>
public sealed class ActiveLearningSimulationTests
{
    private static readonly ActiveLearningOptions Small = new() { InitialLabels = 20, Rounds = 3, BatchSize = 10 };

    [Theory]
    [InlineData(QueryStrategy.Random)]
    [InlineData(QueryStrategy.Entropy)]
    [InlineData(QueryStrategy.Margin)]
    [InlineData(QueryStrategy.CoreSet)]
    [InlineData(QueryStrategy.Sisom)]
    [InlineData(QueryStrategy.Sisome)]
    [InlineData(QueryStrategy.SisomDiversity)]
    [InlineData(QueryStrategy.SisomProduction)]
    [InlineData(QueryStrategy.SisomGuarded)]
    [InlineData(QueryStrategy.SisomGuardedBalanced)]
    public void Every_strategy_spends_its_budget_each_round_and_learns(QueryStrategy strategy)
    {
        GaussianBlobs pool = GaussianBlobs.Create(seed: 1, rows: 300, classes: 3, dimension: 8, meanSpread: 0.8);
        GaussianBlobs test = GaussianBlobs.Create(seed: 1, rows: 90, classes: 3, dimension: 8, meanSpread: 0.8);
        ActiveLearningRun run = ActiveLearningSimulation.Run(pool.Features, pool.Labels, 3, test.Features, test.Labels, strategy, seed: 5, Small);

        Assert.Equal([20, 30, 40, 50], run.LabelsSpent);
        Assert.Equal(4, run.Accuracy.Length);
        Assert.All(run.OodSelected, n => Assert.Equal(0, n));
        Assert.True(run.Accuracy[^1] > 0.8, $"{strategy}: final accuracy {run.Accuracy[^1]}");
        Assert.InRange(run.Area, run.Accuracy.Min(), run.Accuracy.Max());

        ActiveLearningRun again = ActiveLearningSimulation.Run(pool.Features, pool.Labels, 3, test.Features, test.Labels, strategy, seed: 5, Small);
        Assert.Equal(run.Accuracy, again.Accuracy);
    }

    [Fact]
    public void Open_set_pool_counts_ood_queries_and_entropy_finds_an_in_between_cluster_more_often_than_random()
    {
        GaussianBlobs id = GaussianBlobs.Create(seed: 2, rows: 240, classes: 3, dimension: 8, meanSpread: 0.8);
        FeatureMatrix between = Between(id, rows: 60, seed: 3);
        var data = new float[(id.Features.Rows + between.Rows) * 8];
        id.Features.Data.CopyTo(data, 0);
        between.Data.CopyTo(data, id.Features.Data.Length);
        var pool = new FeatureMatrix(data, 300, 8);
        int[] labels = [.. id.Labels, .. Enumerable.Repeat(-1, 60)];
        GaussianBlobs test = GaussianBlobs.Create(seed: 2, rows: 90, classes: 3, dimension: 8, meanSpread: 0.8);

        ActiveLearningRun random = ActiveLearningSimulation.Run(pool, labels, 3, test.Features, test.Labels, QueryStrategy.Random, seed: 1, Small);
        ActiveLearningRun entropy = ActiveLearningSimulation.Run(pool, labels, 3, test.Features, test.Labels, QueryStrategy.Entropy, seed: 1, Small);

        // The initial labels come from the ID items only; OOD counts never fall.
        Assert.Equal(0, random.OodSelected[0]);
        Assert.True(random.OodSelected.Zip(random.OodSelected.Skip(1)).All(p => p.First <= p.Second));
        Assert.InRange(random.OodSelected[^1], 1, 15);
        // The head is least sure between the classes, so uncertainty sampling walks into the OOD cluster.
        Assert.True(entropy.OodSelected[^1] > random.OodSelected[^1], $"entropy picked {entropy.OodSelected[^1]} OOD items, random {random.OodSelected[^1]}");
    }

    [Fact]
    public void Guarded_selection_queries_fewer_ood_items_than_the_threshold_selection_and_plain_sisom()
    {
        GaussianBlobs id = GaussianBlobs.Create(seed: 2, rows: 240, classes: 3, dimension: 8, meanSpread: 0.8);
        FeatureMatrix between = Between(id, rows: 60, seed: 3);
        var data = new float[(id.Features.Rows + between.Rows) * 8];
        id.Features.Data.CopyTo(data, 0);
        between.Data.CopyTo(data, id.Features.Data.Length);
        var pool = new FeatureMatrix(data, 300, 8);
        int[] labels = [.. id.Labels, .. Enumerable.Repeat(-1, 60)];
        GaussianBlobs test = GaussianBlobs.Create(seed: 2, rows: 90, classes: 3, dimension: 8, meanSpread: 0.8);
        ActiveLearningOptions options = Small with { InitialLabels = 30, Rounds = 4, BatchSize = 15, GateScore = OodScores.Sisom };

        int Ood(QueryStrategy strategy) => ActiveLearningSimulation.Run(pool, labels, 3, test.Features, test.Labels, strategy, seed: 1, options).OodSelected[^1];
        int plain = Ood(QueryStrategy.Sisom);
        int threshold = Ood(QueryStrategy.SisomProduction);
        int guarded = Ood(QueryStrategy.SisomGuarded);

        // The in-between items are what SISOM ranks highest; the run's flag at q keeps only some out, the gate below q more.
        Assert.True(threshold <= plain, $"threshold selection {threshold} OOD queries, plain SISOM {plain}");
        Assert.True(guarded < threshold, $"guarded selection {guarded} OOD queries, threshold selection {threshold}");
    }

    [Fact]
    public void Simulation_rejects_labels_outside_the_classes_and_too_few_id_items()
    {
        GaussianBlobs pool = GaussianBlobs.Create(seed: 1, rows: 30, classes: 3, dimension: 4, meanSpread: 1);
        int[] bad = [.. pool.Labels];
        bad[4] = 3;
        Assert.Contains("poolLabels[4] = 3", Assert.Throws<ArgumentException>(() => ActiveLearningSimulation.Run(pool.Features, bad, 3, pool.Features, pool.Labels, QueryStrategy.Random, 0, Small)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ActiveLearningSimulation.Run(pool.Features, pool.Labels, 3, pool.Features, pool.Labels, QueryStrategy.Random, 0, Small with { InitialLabels = 31 }));
    }

    /// <summary>OOD rows around the mean of the class means, where the head is least sure (unit noise).</summary>
    private static FeatureMatrix Between(GaussianBlobs id, int rows, int seed)
    {
        var random = new Random(seed);
        int d = id.Dimension;
        var data = new float[rows * d];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double mean = Enumerable.Range(0, id.Classes).Average(c => id.Means[(c * d) + j]);
                data[(i * d) + j] = (float)(mean + (0.5 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())));
            }
        }

        return new FeatureMatrix(data, rows, d);
    }

    [Fact]
    public void Ood_benchmark_scores_every_method_on_every_set()
    {
        GaussianBlobs train = GaussianBlobs.Create(seed: 4, rows: 150, classes: 3, dimension: 8, meanSpread: 1);
        GaussianBlobs test = GaussianBlobs.Create(seed: 4, rows: 60, classes: 3, dimension: 8, meanSpread: 1);
        GaussianBlobs far = GaussianBlobs.Create(seed: 9, rows: 40, classes: 1, dimension: 8, meanSpread: 1, offset: -15);
        FeatureMatrix between = Between(train, rows: 25, seed: 10);

        OodBenchmarkResult result = OodBenchmark.Run(
            train.Features,
            train.Labels,
            3,
            test.Features,
            test.Labels,
            [new("far", far.Features), new("between", between)],
            new OodBenchmarkOptions { KnnK = 5 });

        Assert.True(result.IdAccuracy > 0.8, $"accuracy {result.IdAccuracy}");
        Assert.Equal(7, result.Methods.Count);
        foreach (OodMethod method in result.Methods)
        {
            Assert.Equal(60, result.IdScores[method].Length);
            Assert.Equal(40, result.OodScores["far"][method].Length);
        }

        // The same head and context built directly give the same SISOM scores: the benchmark adds no twist.
        FittedHead head = LogisticRegressionFitter.Fit(train.Features, train.Labels, 3);
        ScoringContext context = ScoringContext.Build(head.Head, train.Features, train.Labels);
        Assert.Equal(context.Alpha, result.Alpha);
        Assert.Equal(new SisomScorer(context).Score(between).Sisom, result.OodScores["between"][OodMethod.Sisom]);

        // SISOMe + KNN: each term standardised by the reference items' leave-one-out scores (no OOD data), summed.
        double[] looSisome = Core.Selection.SelectionGates.LeaveOneOutScores(context, OodScores.Sisome);
        double[] looKnn = new Core.Baselines.KnnScorer(train.Features, 5).LeaveOneOut();
        (double ms, double ss) = (looSisome.Average(), Sd(looSisome));
        (double mk, double sk) = (looKnn.Average(), Sd(looKnn));
        double[] combined = result.OodScores["between"][OodMethod.SisomeKnn];
        for (int i = 0; i < combined.Length; i++)
        {
            double expected = ((result.OodScores["between"][OodMethod.Sisome][i] - ms) / ss) + ((result.OodScores["between"][OodMethod.Knn][i] - mk) / sk);
            Assert.Equal(expected, combined[i], 9);
        }

        // The head hesitates between the classes (MSP); KNN compares directions (L2-normalised), and the far cluster points the other way.
        double mspBetween = result.Metrics(OodMethod.Msp, "between").Auroc;
        Assert.True(mspBetween > 0.7, $"MSP AUROC on the in-between cluster {mspBetween}");
        double knnFar = result.Metrics(OodMethod.Knn, "far").Auroc;
        Assert.True(knnFar > 0.95, $"KNN AUROC on the far cluster {knnFar}");
        OodMetrics both = result.Metrics(OodMethod.Energy, "far", "between");
        Assert.Equal(65, both.OodCount);
        Assert.Equal(60, both.IdCount);
        Tolerance.Close(result.Metrics(OodMethod.Sisome, "far").Auroc, result.Roc(OodMethod.Sisome, "far").Area(), "roc area");
        Assert.Throws<ArgumentException>(() => result.Metrics(OodMethod.Msp, "nope"));
    }

    private static double Sd(double[] values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }
}
