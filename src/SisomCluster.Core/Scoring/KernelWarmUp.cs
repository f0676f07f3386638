using System.Diagnostics;
using SisomCluster.Core.Baselines;
using SisomCluster.Core.Neighbours;
using SisomCluster.Core.States;

namespace SisomCluster.Core.Scoring;

/// <summary>
/// Compiles the scoring path on a few synthetic rows: a scoring context and a scored batch (2 classes, 64-d, fixed α;
/// milliseconds of arithmetic). The kernels a ReadyToRun image cannot hold (AVX-512 and <c>Vector&lt;T&gt;</c> code,
/// generic instantiations of System.Numerics.Tensors) are JIT-compiled on first use; run this beside work that keeps one
/// core busy (reading the real inputs), and the real call finds them compiled. The worker runs it at start-up, <c>sisom offline score</c>
/// beside reading its files (docs/results/core.md has what each saves).
/// </summary>
public static class KernelWarmUp
{
    private const int Classes = 2, Dimension = 64, Queries = 64;

    /// <summary>Scores the synthetic batch, with the KNN path too when <paramref name="knn"/>; returns the seconds it took.</summary>
    public static double Run(bool knn = false)
    {
        long started = Stopwatch.GetTimestamp();

        // Enough references per class for the GEMM form of every search the real call makes (the KNN bank needs k × 32).
        int perClass = knn ? NeighbourSearch.MinReferencesPerK * KnnScorer.DefaultK / Classes : 64;
        var random = new Random(20261206);
        double[] weights = [.. Enumerable.Range(0, Classes * Dimension).Select(_ => random.NextDouble() - 0.5)];
        var head = new LinearHead(weights, new double[Classes], Classes, Dimension);
        float[] Rows(int rows) => [.. Enumerable.Range(0, rows * Dimension).Select(_ => (float)random.NextDouble())];
        int[] labels = [.. Enumerable.Range(0, Classes * perClass).Select(i => i % Classes)];
        var options = new ScoringContextOptions { Alpha = 1, ComputeKnn = knn };
        ScoringContext context = ScoringContext.Build(head, new FeatureMatrix(Rows(labels.Length), labels.Length, Dimension), labels, options);
        SisomScoreBatch batch = new SisomScorer(context).Score(new FeatureMatrix(Rows(Queries), Queries, Dimension));
        if (batch.Count != Queries)
        {
            throw new InvalidOperationException($"The warm-up scored {batch.Count} of {Queries} rows.");
        }

        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
