using SisomCluster.Core.Baselines;
using SisomCluster.Core.Evaluation;
using SisomCluster.Core.Scoring;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>
/// KNN as a first-class score (SISOM.md §7.1): computed by <see cref="SisomScorer.Score"/> in the same call as SISOM,
/// its threshold from leave-one-out reference scores, and members of T left out by identity (SISOM.md §5). The
/// expectations are computed here by brute force, independently of the kernel.
/// </summary>
public sealed class KnnScoreTests
{
    public static TheoryData<int> Cases => GoldenCase.Indices;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scorer_knn_matches_the_golden_block_in_the_same_call(int index)
    {
        GoldenCase g = GoldenCase.All[index];
        var knn = g.Expected.GetProperty("knn");
        ScoringContext context = ScoringContext.Build(g.Head, g.ReferenceFeatures, g.ReferenceLabels, new ScoringContextOptions { Alpha = g.Alpha, Precision = ScoringPrecision.Float64, KnnK = knn.GetProperty("k").GetInt32() });
        SisomScoreBatch batch = new SisomScorer(context).Score(g.QueryFeatures);
        Tolerance.AllClose(GoldenCase.Doubles(knn.GetProperty("kth_distance")), batch.Knn, "knn kth_distance");

        // SISOM and SISOMe of the same call are the golden ones still.
        Tolerance.AllClose(g.ExpectedDoubles("sisom"), batch.Sisom, "sisom");
        Tolerance.AllClose(g.ExpectedDoubles("sisome"), batch.Sisome, "sisome");
        for (int i = 0; i < batch.Count; i++)
        {
            Assert.Equal(batch.Knn[i], batch[i].Knn);
            Assert.Equal(batch.Knn[i] > context.ThresholdKnn, batch[i].OodKnn);
            Assert.False(batch[i].IsReference);
        }
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 50)]
    [InlineData(3, 1)]
    public void Knn_threshold_is_the_quantile_of_leave_one_out_reference_scores(int seed, int k)
    {
        var (head, features, labels) = Synthetic.Clusters(seed, count: 120, classes: 3, dimension: 16);
        ScoringContext context = ScoringContext.Build(head, features, labels, new ScoringContextOptions { KnnK = k, Quantile = 0.9 });
        double[] loo = BruteForceKnn(features, features, k, leaveOut: true);
        Assert.Equal(Thresholds.NearestRank(loo, 0.9), context.ThresholdKnn, 5);
        Tolerance.AllClose(loo, context.Knn!.LeaveOneOut(), "leave-one-out knn");

        // E does not depend on T: its threshold is the quantile of the reference items' own energies.
        double[] energies = new SisomScorer(context).Score(features).Energy;
        Assert.Equal(Thresholds.NearestRank(energies, 0.9), context.ThresholdEnergy, 9);

        FeatureMatrix queries = Synthetic.Noise(seed + 10, 60, 16, scale: 1.5);
        SisomScoreBatch batch = new SisomScorer(context).Score(queries);
        Tolerance.AllClose(BruteForceKnn(features, queries, k, leaveOut: false), batch.Knn, "query knn");
        for (int i = 0; i < batch.Count; i++)
        {
            Assert.Equal(batch.Knn[i] > context.ThresholdKnn, batch.OodKnn[i]);
            Assert.Equal(batch.Energy[i] > context.ThresholdEnergy, batch.OodEnergy[i]);
        }
    }

    [Fact]
    public void Reference_items_scored_as_pool_items_are_never_their_own_neighbour()
    {
        var (head, features, labels) = Synthetic.Clusters(seed: 7, count: 90, classes: 3, dimension: 12);
        // A fixed, unsaturated α: with saturated states two distinct items can share z, and d_in = 0 is then legitimate.
        ScoringContext context = ScoringContext.Build(head, features, labels, new ScoringContextOptions { KnnK = 5, Alpha = 1 });
        int[] self = Enumerable.Range(0, features.Rows).ToArray();
        var scorer = new SisomScorer(context);

        // Without the identity the items find themselves (d_in = 0): the guard below is what prevents it.
        SisomScoreBatch naive = scorer.Score(features);
        Assert.Contains(Enumerable.Range(0, naive.Count), i => naive.Ratios.NearestReference[i] == i && naive.Ratios.DIn[i] == 0);

        SisomScoreBatch batch = scorer.Score(features, self);
        double[] loo = BruteForceKnn(features, features, 5, leaveOut: true);
        for (int i = 0; i < batch.Count; i++)
        {
            Assert.NotEqual(i, batch.Ratios.NearestReference[i]);
            Assert.True(batch.Ratios.DIn[i] > 0, $"item {i}: d_in {batch.Ratios.DIn[i]}");
            Assert.True(batch[i].IsReference);
            Tolerance.Close(loo[i], batch.Knn[i], $"member knn[{i}]");
        }

        // Only the members carry the flag.
        SisomScoreBatch mixed = scorer.Score(features, self.Select(i => i % 2 == 0 ? i : -1).ToArray());
        Assert.Equal(self.Select(i => i % 2 == 0), mixed.IsReference);
    }

    [Fact]
    public void Knn_survives_a_stored_context_and_is_absent_from_one_without_a_bank()
    {
        var (head, features, labels) = Synthetic.Clusters(seed: 4, count: 100, classes: 4, dimension: 20);
        ScoringContext built = ScoringContext.Build(head, features, labels, new ScoringContextOptions { KnnK = 7 });
        var reference = new Reference.ReferenceSet(built.Reference.States, built.Reference.Labels, 4, built.Reference.Margins);
        ScoringContext stored = ScoringContext.FromParts(head, built.Alpha, reference, built.Statistics, built.SisomeWeight, built.Quantile, built.ThresholdSisom, built.ThresholdSisome,
            knn: new KnnScorer(features, 7), thresholdKnn: built.ThresholdKnn, thresholdEnergy: built.ThresholdEnergy);
        FeatureMatrix queries = Synthetic.Noise(5, 50, 20);
        SisomScoreBatch a = new SisomScorer(built).Score(queries);
        SisomScoreBatch b = new SisomScorer(stored).Score(queries);
        Assert.Equal(a.Knn, b.Knn);
        Assert.Equal(a.OodKnn, b.OodKnn);
        Assert.Equal(a.OodEnergy, b.OodEnergy);

        ScoringContext legacy = ScoringContext.FromParts(head, built.Alpha, reference, built.Statistics, built.SisomeWeight, built.Quantile, built.ThresholdSisom, built.ThresholdSisome);
        SisomScoreBatch c = new SisomScorer(legacy).Score(queries);
        Assert.All(c.Knn, v => Assert.True(double.IsNaN(v)));
        Assert.DoesNotContain(true, c.OodKnn);
        Assert.Equal(a.Sisom, c.Sisom);
        Assert.Throws<ArgumentException>(() => ScoringContext.FromParts(head, built.Alpha, reference, built.Statistics, built.SisomeWeight, built.Quantile, built.ThresholdSisom, built.ThresholdSisome,
            knn: new KnnScorer(Synthetic.Noise(1, 10, 20), 7)));
    }

    /// <summary>Sorted float64 distances of L2-normalised rows; with <paramref name="leaveOut"/> query i skips reference i.</summary>
    private static double[] BruteForceKnn(FeatureMatrix reference, FeatureMatrix queries, int k, bool leaveOut)
    {
        double[][] r = Normalised(reference);
        double[][] q = Normalised(queries);
        var result = new double[q.Length];
        for (int i = 0; i < q.Length; i++)
        {
            List<double> d = [];
            for (int j = 0; j < r.Length; j++)
            {
                if (!(leaveOut && i == j))
                {
                    d.Add(Math.Sqrt(q[i].Zip(r[j], (a, b) => (a - b) * (a - b)).Sum()));
                }
            }

            d.Sort();
            result[i] = d.Count == 0 ? double.PositiveInfinity : d[Math.Min(k, d.Count) - 1];
        }

        return result;
    }

    private static double[][] Normalised(FeatureMatrix m) => Enumerable.Range(0, m.Rows).Select(i =>
    {
        double[] row = m.Row(i).ToArray().Select(v => (double)v).ToArray();
        double norm = Math.Sqrt(row.Sum(v => v * v));
        return row.Select(v => norm > 0 ? v / norm : 0).ToArray();
    }).ToArray();
}
