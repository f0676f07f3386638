using SisomCluster.Core.Scoring;
using SisomCluster.Core.Selection;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>The guarded default selection (issue 16): an OOD gate below the run's threshold keeps borderline OOD items out.</summary>
public sealed class GuardedSelectionTests
{
    private const int ReferenceCount = 240;

    /// <summary>Reference set and ID pool from the same clusters; the OOD pool items come from two unseen clusters (near-OOD).</summary>
    private static (ScoringContext Context, List<SelectionCandidate> Candidates, HashSet<string> Ood) OpenPool()
    {
        var (head, features, labels) = Synthetic.Clusters(31, count: 600, classes: 4, dimension: 12);
        FeatureMatrix reference = Rows(features, 0, ReferenceCount);
        ScoringContext context = ScoringContext.Build(head, reference, labels[..ReferenceCount], new ScoringContextOptions { Alpha = 10 });
        FeatureMatrix idPool = Rows(features, ReferenceCount, features.Rows);
        FeatureMatrix oodPool = Synthetic.Clusters(77, count: 200, classes: 2, dimension: 12).Features;
        var candidates = new List<SelectionCandidate>();
        var ood = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string prefix, FeatureMatrix pool) in new[] { ("id", idPool), ("ood", oodPool) })
        {
            SisomScoreBatch batch = new SisomScorer(context).Score(pool);
            for (int i = 0; i < batch.Count; i++)
            {
                string id = $"{prefix}-{i:D4}";
                candidates.Add(new SelectionCandidate(id, batch.Sisom[i], batch.Predicted[i], batch.OodSisom[i])
                {
                    OodValues = new Dictionary<string, double> { [OodScores.Sisom] = batch.Sisom[i], [OodScores.Sisome] = batch.Sisome[i], [OodScores.Knn] = batch.Knn[i], [OodScores.Energy] = batch.Energy[i] },
                });
                if (prefix == "ood")
                {
                    ood.Add(id);
                }
            }
        }

        return (context, candidates, ood);
    }

    private static FeatureMatrix Rows(FeatureMatrix m, int from, int to) =>
        new(m.Data.AsSpan(from * m.Columns, (to - from) * m.Columns).ToArray(), to - from, m.Columns);

    [Fact]
    public void The_default_policy_is_guarded_by_knn_below_the_run_quantile()
    {
        Assert.Equal(SelectionPolicy.Guarded, default(SelectionPolicy));
        Assert.Equal(OodScores.Knn, SelectionGates.DefaultScore);
        Assert.True(SelectionGates.DefaultQuantile < 0.95, "the gate must sit below the run's q, or it adds nothing to the flag");
    }

    [Fact]
    public void Default_selection_skips_the_ood_items_just_under_the_threshold_that_the_old_selection_picks()
    {
        (ScoringContext context, List<SelectionCandidate> candidates, HashSet<string> ood) = OpenPool();
        IReadOnlyList<SelectedItem> old = ActiveLearningSelector.Select(candidates, SelectionOptions.For(SelectionPolicy.Threshold, 60, context));
        SelectionOptions guardedOptions = SelectionOptions.For(default, 60, context);
        IReadOnlyList<SelectedItem> guarded = ActiveLearningSelector.Select(candidates, guardedOptions);

        // The old selection takes the top SISOM under the threshold: here that band is crowded with OOD items.
        int oldOod = old.Count(s => ood.Contains(s.Id));
        int guardedOod = guarded.Count(s => ood.Contains(s.Id));
        Assert.True(oldOod >= 10, $"the old selection picked {oldOod} OOD items of 60; the scenario needs borderline OOD items");
        Assert.True(guardedOod * 2 <= oldOod, $"guarded picked {guardedOod} OOD items, the old selection {oldOod}");
        Assert.Equal(60, guarded.Count);

        // Two gates, whatever the run's score: SISOM at the run's q (its threshold) and KNN at the lower quantile.
        Assert.Equal([OodScores.Sisom, OodScores.Knn], guardedOptions.Gates.Select(g => g.Score));
        Assert.Equal(context.ThresholdSisom, guardedOptions.Gates[0].Threshold);
        OodGate knn = guardedOptions.Gates[1];
        var byId = candidates.ToDictionary(c => c.Id);
        Assert.All(guarded, s => Assert.True(byId[s.Id].OodValues![OodScores.Knn] <= knn.Threshold && byId[s.Id].OodValues![OodScores.Sisom] <= context.ThresholdSisom));
        Assert.All(guarded, s => Assert.False(byId[s.Id].IsOod));
        Assert.Contains(old, s => byId[s.Id].OodValues![OodScores.Knn] > knn.Threshold);

        // A run flagging by KNN gets the same guarded candidates: the SISOM gate stands in for the SISOM flag.
        List<SelectionCandidate> byKnnFlag = candidates.ConvertAll(c => c with { IsOod = c.OodValues![OodScores.Knn] > context.ThresholdKnn });
        Assert.Equal(guarded.Select(s => s.Id), ActiveLearningSelector.Select(byKnnFlag, guardedOptions).Select(s => s.Id));
    }

    [Fact]
    public void A_gate_leaves_out_borderline_items_and_keeps_the_order_of_the_rest()
    {
        Dictionary<string, double> Knn(double v) => new() { [OodScores.Knn] = v };
        var candidates = new[]
        {
            new SelectionCandidate("flagged", 9.0, 0, true) { OodValues = Knn(0.1) },
            new SelectionCandidate("borderline", 4.9, 0, false) { OodValues = Knn(0.8) },
            new SelectionCandidate("at-gate", 4.0, 1, false) { OodValues = Knn(0.5) },
            new SelectionCandidate("inside", 3.0, 1, false) { OodValues = Knn(0.2) },
            new SelectionCandidate("low", 1.0, 0, false) { OodValues = Knn(0.1) },
        };
        var options = new SelectionOptions { Budget = 3, Gates = [new OodGate(OodScores.Knn, 0.5)] };
        Assert.Equal(["at-gate", "inside", "low"], ActiveLearningSelector.Select(candidates, options).Select(s => s.Id));
        Assert.Equal(["borderline", "at-gate", "inside"], ActiveLearningSelector.Select(candidates, options with { Gates = [] }).Select(s => s.Id));
        Assert.Equal(["flagged", "borderline", "at-gate"], ActiveLearningSelector.Select(candidates, options with { ExcludeOod = false }).Select(s => s.Id));
    }

    [Theory]
    [InlineData(OodScores.Sisom)]
    [InlineData(OodScores.Sisome)]
    [InlineData(OodScores.Knn)]
    [InlineData(OodScores.Energy)]
    public void Gate_at_the_run_quantile_equals_the_run_threshold(string score)
    {
        (ScoringContext context, _, _) = OpenPool();
        double expected = score switch
        {
            OodScores.Sisom => context.ThresholdSisom,
            OodScores.Sisome => context.ThresholdSisome,
            OodScores.Knn => context.ThresholdKnn,
            _ => context.ThresholdEnergy,
        };
        Assert.Equal(expected, SelectionGates.At(context, score, context.Quantile).Threshold, 9);
        double lower = SelectionGates.At(context, score, 0.8).Threshold;
        Assert.True(lower < expected, $"{score}: the 0.8 gate {lower} is not below the 0.95 threshold {expected}");
        Assert.Equal(Evaluation.Thresholds.NearestRank(SelectionGates.LeaveOneOutScores(context, score), 0.8), lower);
    }

    [Fact]
    public void Gates_reject_bad_input()
    {
        (ScoringContext context, _, _) = OpenPool();
        Assert.Equal("score", Assert.Throws<ArgumentException>(() => SelectionGates.At(context, "msp", 0.8)).ParamName);
        Assert.Throws<ArgumentException>(() => SelectionGates.At(context, OodScores.Knn, 1.5));
        var plain = new[] { new SelectionCandidate("a", 1, 0, false) };
        Assert.Equal("candidates", Assert.Throws<ArgumentException>(() => ActiveLearningSelector.Select(plain, new SelectionOptions { Budget = 1, Gates = [new OodGate(OodScores.Knn, 1)] })).ParamName);
        var nan = new[] { new SelectionCandidate("a", 1, 0, false) { OodValues = new Dictionary<string, double> { [OodScores.Knn] = double.NaN } } };
        Assert.Throws<ArgumentException>(() => ActiveLearningSelector.Select(nan, new SelectionOptions { Budget = 1, Gates = [new OodGate(OodScores.Knn, 1)] }));
        Assert.Throws<ArgumentException>(() => ActiveLearningSelector.Select(plain, new SelectionOptions { Budget = 1, Gates = [new OodGate("msp", 1)] }));
        Assert.Throws<ArgumentException>(() => ActiveLearningSelector.Select(plain, new SelectionOptions { Budget = 1, Gates = [new OodGate(OodScores.Knn, double.NaN)] }));
    }
}
