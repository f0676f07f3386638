using SisomCluster.Core.Scoring;
using SisomCluster.Core.Selection;
using Xunit;

namespace SisomCluster.Core.Tests;

public sealed class SelectionTests
{
    private static (ScoringContext Context, List<SelectionCandidate> Candidates) Pool(int seed = 21, int count = 400)
    {
        var (head, features, labels) = Synthetic.Clusters(seed, count: 240, classes: 4, dimension: 12);
        ScoringContext context = ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = 10 });
        SisomScoreBatch batch = new SisomScorer(context).Score(Synthetic.Noise(seed + 1, count, 12, scale: 2.5));
        var candidates = Enumerable.Range(0, batch.Count).Select(i => new SelectionCandidate($"item-{i:D4}", batch.Sisom[i], batch.Predicted[i], batch.OodSisom[i])
        {
            State = batch.States.Row(i).ToArray(),
            DIn = batch.Ratios.DIn[i],
            DOut = batch.Ratios.DOut[i],
            Energy = batch.Energy[i],
        }).ToList();
        return (context, candidates);
    }

    [Fact]
    public void Top_b_orders_by_score_then_id()
    {
        var candidates = new[]
        {
            new SelectionCandidate("b", 2.0, 0, false),
            new SelectionCandidate("a", 2.0, 0, false),
            new SelectionCandidate("c", 3.0, 1, false),
            new SelectionCandidate("d", 1.0, 1, false),
        };
        IReadOnlyList<SelectedItem> selected = ActiveLearningSelector.Select(candidates, new SelectionOptions { Budget = 3 });
        Assert.Equal(["c", "a", "b"], selected.Select(s => s.Id));
        Assert.Equal([1, 2, 3], selected.Select(s => s.Rank));
        Assert.All(selected, s => Assert.Equal(SelectionReason.Score, s.Reason));
    }

    [Fact]
    public void Selection_never_returns_an_ood_item_unless_asked()
    {
        (_, List<SelectionCandidate> candidates) = Pool();
        Assert.Contains(candidates, c => c.IsOod);
        IReadOnlyList<SelectedItem> selected = ActiveLearningSelector.Select(candidates, new SelectionOptions { Budget = 100 });
        var ood = candidates.Where(c => c.IsOod).Select(c => c.Id).ToHashSet();
        Assert.Equal(100, selected.Count);
        Assert.DoesNotContain(selected, s => ood.Contains(s.Id));

        IReadOnlyList<SelectedItem> withOod = ActiveLearningSelector.Select(candidates, new SelectionOptions { Budget = 100, ExcludeOod = false });
        Assert.Contains(withOod, s => ood.Contains(s.Id));
    }

    [Fact]
    public void Quotas_are_respected()
    {
        (_, List<SelectionCandidate> candidates) = Pool();
        var quotas = new Dictionary<int, int> { [0] = 3, [1] = 5, [2] = 0 };
        foreach (double? diversity in new double?[] { null, 3 })
        {
            (ScoringContext context, _) = Pool();
            IReadOnlyList<SelectedItem> selected = ActiveLearningSelector.Select(
                candidates,
                new SelectionOptions { Budget = 40, ExcludeOod = false, ClassQuotas = quotas, DiversityFactor = diversity },
                context);
            Assert.True(selected.Count(s => s.Predicted == 0) <= 3);
            Assert.True(selected.Count(s => s.Predicted == 1) <= 5);
            Assert.DoesNotContain(selected, s => s.Predicted == 2);
        }

        IReadOnlyDictionary<int, int> balanced = SelectionOptions.BalancedQuotas(10, 4);
        Assert.All(balanced.Values, q => Assert.Equal(3, q));
    }

    [Fact]
    public void Quota_displacements_are_reported_as_class_quota()
    {
        var candidates = new[]
        {
            new SelectionCandidate("a", 5, 0, false),
            new SelectionCandidate("b", 4, 0, false),
            new SelectionCandidate("c", 3, 1, false),
        };
        IReadOnlyList<SelectedItem> selected = ActiveLearningSelector.Select(candidates, new SelectionOptions { Budget = 2, ClassQuotas = new Dictionary<int, int> { [0] = 1 } });
        Assert.Equal(["a", "c"], selected.Select(s => s.Id));
        Assert.Equal([SelectionReason.Score, SelectionReason.ClassQuota], selected.Select(s => s.Reason));
    }

    [Fact]
    public void Diversity_drops_exact_duplicates()
    {
        (ScoringContext context, List<SelectionCandidate> candidates) = Pool();
        SelectionCandidate top = candidates.Where(c => !c.IsOod).OrderByDescending(c => c.Score).First();
        for (int copy = 0; copy < 5; copy++)
        {
            candidates.Add(top with { Id = $"dup-{copy}" });
        }

        IReadOnlyList<SelectedItem> plain = ActiveLearningSelector.Select(candidates, new SelectionOptions { Budget = 20 });
        Assert.True(plain.Count(s => s.Id.StartsWith("dup-", StringComparison.Ordinal)) == 5, "without diversity the duplicates rank at the top");

        IReadOnlyList<SelectedItem> diverse = ActiveLearningSelector.Select(candidates, new SelectionOptions { Budget = 20, DiversityFactor = 4 }, context);
        Assert.Equal(20, diverse.Count);
        int copies = diverse.Count(s => s.Id.StartsWith("dup-", StringComparison.Ordinal) || s.Id == top.Id);
        Assert.Equal(1, copies);
        Assert.Contains(diverse, s => s.Reason == SelectionReason.Diversity);
    }

    [Fact]
    public void Diversity_demotes_near_duplicates_of_a_chosen_item()
    {
        (ScoringContext context, List<SelectionCandidate> candidates) = Pool();
        SelectionCandidate top = candidates.Where(c => !c.IsOod).OrderByDescending(c => c.Score).First();
        float[] near = top.State!.ToArray();
        near[0] += 1e-4f;
        candidates.Add(top with { Id = "near", State = near, Score = top.Score - 1e-9 });
        IReadOnlyList<SelectedItem> diverse = ActiveLearningSelector.Select(candidates, new SelectionOptions { Budget = 10, DiversityFactor = 4 }, context);
        Assert.Contains(diverse, s => s.Id == top.Id);
        Assert.DoesNotContain(diverse, s => s.Id == "near");
    }

    [Fact]
    public void Selection_rejects_bad_candidates()
    {
        var nan = new[] { new SelectionCandidate("a", double.NaN, 0, false) };
        Assert.Equal("candidates", Assert.Throws<ArgumentException>(() => ActiveLearningSelector.Select(nan, new SelectionOptions { Budget = 1 })).ParamName);
        var twice = new[] { new SelectionCandidate("a", 1, 0, false), new SelectionCandidate("a", 2, 0, false) };
        Assert.Throws<ArgumentException>(() => ActiveLearningSelector.Select(twice, new SelectionOptions { Budget = 1 }));
        Assert.Throws<ArgumentException>(() => ActiveLearningSelector.Select([], new SelectionOptions { Budget = 0 }));
        var noState = new[] { new SelectionCandidate("a", 1, 0, false) };
        Assert.Equal("context", Assert.Throws<ArgumentException>(() => ActiveLearningSelector.Select(noState, new SelectionOptions { Budget = 1, DiversityFactor = 2 })).ParamName);
    }
}
