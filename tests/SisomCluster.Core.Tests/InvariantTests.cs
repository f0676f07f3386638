using SisomCluster.Core.Evaluation;
using SisomCluster.Core.Neighbours;
using SisomCluster.Core.Scoring;
using Xunit;

namespace SisomCluster.Core.Tests;

public sealed class InvariantTests
{
    [Fact]
    public void Sisom_is_monotone_in_r()
    {
        var (head, features, labels) = Synthetic.Clusters(seed: 7, count: 300, classes: 4, dimension: 24);
        ScoringContext context = ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = 10 });
        SisomScoreBatch batch = new SisomScorer(context).Score(Synthetic.Noise(8, 200, 24));
        int[] order = Enumerable.Range(0, batch.Count).OrderBy(i => batch.Ratios.Ratio[i]).ToArray();
        for (int k = 1; k < order.Length; k++)
        {
            Assert.True(batch.Sisom[order[k]] >= batch.Sisom[order[k - 1]], $"r {batch.Ratios.Ratio[order[k]]} >= {batch.Ratios.Ratio[order[k - 1]]} but SISOM fell");
        }

        Assert.True(ScoreFormulas.Sisom(0.5, context.Statistics) < ScoreFormulas.Sisom(0.6, context.Statistics));
        Assert.Equal(double.PositiveInfinity, ScoreFormulas.Sisom(double.PositiveInfinity, context.Statistics));
    }

    [Fact]
    public void Threshold_is_monotone_in_q()
    {
        var random = new Random(3);
        double[] scores = Enumerable.Range(0, 257).Select(_ => random.NextDouble() * 10).Append(double.PositiveInfinity).ToArray();
        double previous = double.NegativeInfinity;
        for (double q = 0.01; q <= 1.0; q += 0.01)
        {
            double tau = Thresholds.NearestRank(scores, q);
            Assert.True(tau >= previous, $"tau({q}) = {tau} < {previous}");
            previous = tau;
        }

        Assert.Equal(scores.Where(double.IsFinite).Max(), Thresholds.NearestRank(scores, 1.0));
    }

    [Fact]
    public void Nearest_rank_threshold_takes_the_ceil_qn_th_smallest()
    {
        double[] scores = Enumerable.Range(1, 20).Select(i => (double)i).ToArray();
        Assert.Equal(19, Thresholds.NearestRank(scores, 0.95));
        Assert.Equal(10, Thresholds.NearestRank(scores, 0.5));
        Assert.Equal(11, Thresholds.NearestRank(scores, 0.51));
    }

    [Fact]
    public void Results_do_not_depend_on_threads_or_block_sizes()
    {
        var (head, features, labels) = Synthetic.Clusters(seed: 11, count: 403, classes: 5, dimension: 37);
        FeatureMatrix queries = Synthetic.Noise(12, 311, 37);
        SisomScoreBatch? baseline = null;
        ScoringContext? baselineContext = null;
        foreach (var search in new[]
        {
            new NeighbourSearchOptions { QueryBlockSize = 64, ReferenceBlockSize = 192, MaxDegreeOfParallelism = -1 },
            new NeighbourSearchOptions { QueryBlockSize = 1, ReferenceBlockSize = 1, MaxDegreeOfParallelism = 1 },
            new NeighbourSearchOptions { QueryBlockSize = 7, ReferenceBlockSize = 5, MaxDegreeOfParallelism = 2 },
            new NeighbourSearchOptions { QueryBlockSize = 1000, ReferenceBlockSize = 1000, MaxDegreeOfParallelism = 3 },
        })
        {
            ScoringContext context = ScoringContext.Build(head, features, labels, new ScoringContextOptions { Search = search });
            SisomScoreBatch batch = new SisomScorer(context, search).Score(queries);
            if (baseline is null)
            {
                (baseline, baselineContext) = (batch, context);
                continue;
            }

            Assert.Equal(baselineContext!.Alpha, context.Alpha);
            Assert.Equal(baselineContext.Reference.Margins, context.Reference.Margins);
            Assert.Equal(baselineContext.Statistics, context.Statistics);
            Assert.Equal(baseline.Ratios.NearestReference, batch.Ratios.NearestReference);
            Assert.Equal(baseline.Ratios.DIn, batch.Ratios.DIn);
            Assert.Equal(baseline.Sisom, batch.Sisom);
            Assert.Equal(baseline.Sisome, batch.Sisome);
        }
    }

    [Fact]
    public void Kernel_matches_a_scalar_float64_distance()
    {
        var (_, features, _) = Synthetic.Clusters(seed: 5, count: 50, classes: 3, dimension: 61);
        var all = PackedRows<float>.All(features);
        var tile = new float[50 * 50];
        DistanceKernel.SquaredDistances(all, 0, 50, all, 0, 50, tile);
        for (int i = 0; i < 50; i++)
        {
            for (int j = 0; j < 50; j++)
            {
                double expected = 0;
                for (int d = 0; d < 61; d++)
                {
                    double diff = features.Row(i)[d] - (double)features.Row(j)[d];
                    expected += diff * diff;
                }

                Assert.True(Math.Abs(tile[(i * 50) + j] - expected) <= 1e-5 * Math.Max(1, expected), $"({i},{j}): {tile[(i * 50) + j]} vs {expected}");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Float32_agrees_with_float64_on_unsaturated_golden_cases(int index)
    {
        GoldenCase g = GoldenCase.All[index];
        ScoringContext single = ScoringContext.Build(g.Head, g.ReferenceFeatures, g.ReferenceLabels, new ScoringContextOptions { Alpha = g.Alpha });
        SisomScoreBatch batch = new SisomScorer(single).Score(g.QueryFeatures);
        Assert.Equal(g.Expected.GetProperty("nearest_reference").EnumerateArray().Select(e => e.GetInt32()), batch.Ratios.NearestReference);
        double[] expected = g.ExpectedDoubles("ratio");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i].Equals(batch.Ratios.Ratio[i]) || Math.Abs(batch.Ratios.Ratio[i] - expected[i]) <= 1e-4 * expected[i], $"ratio[{i}]");
        }
    }

    [Fact]
    public void Context_from_stored_parts_scores_like_the_built_one()
    {
        var (head, features, labels) = Synthetic.Clusters(seed: 4, count: 200, classes: 4, dimension: 20);
        ScoringContext built = ScoringContext.Build(head, features, labels);
        var reference = new Reference.ReferenceSet(built.Reference.States, built.Reference.Labels, 4, built.Reference.Margins);
        ScoringContext stored = ScoringContext.FromParts(head, built.Alpha, reference, built.Statistics, built.SisomeWeight, built.Quantile, built.ThresholdSisom, built.ThresholdSisome);
        FeatureMatrix queries = Synthetic.Noise(5, 100, 20);
        SisomScoreBatch a = new SisomScorer(built).Score(queries);
        SisomScoreBatch b = new SisomScorer(stored).Score(queries);
        Assert.Equal(a.Sisom, b.Sisom);
        Assert.Equal(a.OodSisome, b.OodSisome);
        Assert.Throws<ArgumentException>(() => ScoringContext.FromParts(head, built.Alpha, reference, built.Statistics with { SdR = 0 }, 0.5, 0.95, 1, 1));
    }

    [Fact]
    public void States_saturate_without_overflow_at_huge_alpha()
    {
        var (head, features, _) = Synthetic.Clusters(seed: 9, count: 50, classes: 3, dimension: 10, spread: 5);
        foreach (ScoringPrecision precision in new[] { ScoringPrecision.Float32, ScoringPrecision.Float64 })
        {
            (StateMatrix states, FeatureMatrix logits) = States.NeuronStates.Compute(head, features, 1e5, precision);
            Assert.All(states.Values.Data, s => Assert.InRange(s, 0f, 1f));
            Assert.Contains(states.Values.Data, s => s == 0f);
            Assert.Contains(states.Values.Data, s => s == 1f);
            Assert.All(logits.Data, l => Assert.True(float.IsFinite(l)));
        }
    }
}
