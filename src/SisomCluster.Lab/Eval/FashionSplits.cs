using SisomCluster.Cli;
using SisomCluster.Inference.Datasets;
using SisomCluster.Lab.Datasets;

namespace SisomCluster.Lab.Eval;

/// <summary>
/// The Fashion-MNIST images both evaluations use: the first N of every class from the training split (the
/// pool) and from the test split (the test set). Taking the first N per class keeps the sets balanced and the
/// same on every run, so the embedding cache is shared by <c>eval ood</c> and <c>eval al</c>.
/// </summary>
internal sealed class FashionSplits
{
    public const int ClassCount = 10;

    private FashionSplits(FashionMnist test, GreyImageSet train, GreyImageSet testSet, int[] unusedTest)
    {
        TestData = test;
        Train = train;
        Test = testSet;
        UnusedTest = unusedTest;
    }

    public GreyImageSet Train { get; }

    public GreyImageSet Test { get; }

    public FashionMnist TestData { get; }

    /// <summary>Test-split indices not in <see cref="Test"/>, in order (the source of the inverted images).</summary>
    public int[] UnusedTest { get; }

    public static FashionSplits Load(int trainPerClass, int testPerClass, string directory)
    {
        FashionMnist train = FashionMnist.Load(train: true, directory: directory);
        FashionMnist test = FashionMnist.Load(train: false, directory: directory);
        int[] testIndices = FirstPerClass(test, testPerClass, "--test-per-class");
        var used = testIndices.ToHashSet();
        return new FashionSplits(
            test,
            GreyImageSet.From("fmnist-train", train, FirstPerClass(train, trainPerClass, "--train-per-class")),
            GreyImageSet.From("fmnist-test", test, testIndices),
            Enumerable.Range(0, test.Count).Where(i => !used.Contains(i)).ToArray());
    }

    private static int[] FirstPerClass(FashionMnist data, int perClass, string option)
    {
        var taken = new int[ClassCount];
        var indices = new List<int>(perClass * ClassCount);
        for (int i = 0; i < data.Count && indices.Count < perClass * ClassCount; i++)
        {
            if (taken[data.Labels[i]] < perClass)
            {
                taken[data.Labels[i]]++;
                indices.Add(i);
            }
        }

        if (indices.Count < perClass * ClassCount)
        {
            throw new UsageException($"{option} {perClass}: the split has only {taken.Min()} images of some class.");
        }

        indices.Sort();
        return [.. indices];
    }
}
