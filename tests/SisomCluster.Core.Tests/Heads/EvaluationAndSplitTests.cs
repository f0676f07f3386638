using SisomCluster.Core.Heads;
using SisomCluster.Core.States;
using Xunit;

namespace SisomCluster.Core.Tests.Heads;

/// <summary>Predict's tie rule and the stratified split's proportions and reproducibility.</summary>
public sealed class EvaluationAndSplitTests
{
    [Fact]
    public void Predict_takes_the_lowest_index_on_ties()
    {
        var features = new FeatureMatrix([1f, 2f, 0f, 0f], 2, 2);
        var head = new LinearHead([0, 0, 1, 0, 1, 0], [0, 1, 1], 3, 2);

        // Row 0: logits (0, 2, 2) → 1; row 1: (0, 1, 1) → 1 as well.
        Assert.Equal([1, 1], HeadEvaluation.Predict(head, features));
        Assert.Equal(0.5, HeadEvaluation.Accuracy(head, features, [1, 2]));
    }

    [Fact]
    public void Split_is_per_class_proportional_disjoint_and_complete()
    {
        // Class sizes 100, 50, 7, 1 at 20 %: 20, 10, round(1.4) = 1, round(0.2) = 0 held out.
        int[] labels = [.. Enumerable.Repeat(0, 100), .. Enumerable.Repeat(1, 50), .. Enumerable.Repeat(2, 7), 3];
        new Random(3).Shuffle(labels);
        (int[] train, int[] heldOut) = StratifiedSplit.Split(labels, 0.2, seed: 5);

        Assert.Equal([20, 10, 1, 0], Enumerable.Range(0, 4).Select(c => heldOut.Count(i => labels[i] == c)));
        Assert.Equal(Enumerable.Range(0, labels.Length), train.Concat(heldOut).Order());
        Assert.Equal(train.Order(), train);
        Assert.Equal(heldOut.Order(), heldOut);
    }

    [Fact]
    public void Split_keeps_one_training_item_of_every_class_with_two_or_more()
    {
        (int[] train, int[] heldOut) = StratifiedSplit.Split([0, 0, 1, 1, 1], 0.9, seed: 1);
        Assert.Equal(2, train.Length);
        Assert.Equal(3, heldOut.Length);
    }

    [Fact]
    public void Split_depends_on_the_seed_only()
    {
        int[] labels = Enumerable.Range(0, 200).Select(i => i % 4).ToArray();
        (int[] a, int[] aHeld) = StratifiedSplit.Split(labels, 0.25, seed: 9);
        (int[] b, int[] bHeld) = StratifiedSplit.Split(labels, 0.25, seed: 9);
        (_, int[] cHeld) = StratifiedSplit.Split(labels, 0.25, seed: 10);

        Assert.Equal(a, b);
        Assert.Equal(aHeld, bHeld);
        Assert.NotEqual(aHeld, cHeld);
    }
}
