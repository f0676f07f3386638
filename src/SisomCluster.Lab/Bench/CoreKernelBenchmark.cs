using System.Diagnostics;
using SisomCluster.Core;
using SisomCluster.Core.Reference;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// `sisom bench core`: scoring throughput of the SISOM kernel on synthetic data, side by side in
/// the same process with a naive scalar nearest-neighbour loop over the same states and a measured SGEMM of the
/// same shape (<see cref="CoreSgemm"/>), the rate an optimised BLAS reaches on this machine.
/// </summary>
/// <remarks>
/// Margins are supplied (random) rather than computed: they cost O(|T|²·D) once per reference-set
/// version, not per item, and at |T| = 100k would dominate the run. FLOPs are counted as 2 per
/// (query, reference, dimension), the GEMM-equivalent count (the float32 kernel is a GEMM plus an
/// exact difference-form refinement of the few candidates near the k best, ARCHITECTURE.md §9).
/// </remarks>
public static class CoreKernelBenchmark
{
    public static IReadOnlyList<CoreBenchmarkResult> Run(IReadOnlyList<int> referenceSizes, IReadOnlyList<int> dimensions, int classes, double secondsPerFigure, int seed, Core.Neighbours.NeighbourSearchOptions search, Action<string>? progress = null)
    {
        var results = new List<CoreBenchmarkResult>();
        foreach (int d in dimensions)
        {
            foreach (int t in referenceSizes)
            {
                progress?.Invoke($"|T| = {t}, D = {d}, K = {classes}");
                results.Add(RunOne(t, d, classes, secondsPerFigure, seed, search));
            }
        }

        return results;
    }

    private static CoreBenchmarkResult RunOne(int referenceCount, int dimension, int classes, double seconds, int seed, Core.Neighbours.NeighbourSearchOptions search)
    {
        var random = new Random(seed);
        LinearHead head = RandomHead(random, classes, dimension);
        FeatureMatrix referenceStates = RandomMatrix(random, referenceCount, dimension, 1.0);
        var labels = new int[referenceCount];
        var margins = new double[referenceCount];
        for (int i = 0; i < referenceCount; i++)
        {
            labels[i] = i % classes;
            margins[i] = 0.5 + random.NextDouble();
        }

        var reference = new ReferenceSet(referenceStates, labels, classes, margins);
        var stats = new IdStatistics(RAvg: 0.5, SdR: 0.2, MuE: -2, SdE: 0.5, RatioCount: referenceCount, EnergyCount: referenceCount);
        ScoringContext context = ScoringContext.FromParts(head, alpha: 100, reference, stats, sisomeWeight: 0.5, quantile: 0.95, thresholdSisom: 1.5, thresholdSisome: 1.5);
        var scorer = new SisomScorer(context, search);

        // Score in batches of 4 096, as a worker does, repeated until `seconds` have passed: one giant batch would
        // measure the first-touch page faults of its fresh buffers rather than the kernel.
        const int Batch = 4096;
        FeatureMatrix features = RandomMatrix(random, Batch, dimension, 2.0);
        SisomScoreBatch batch = scorer.Score(features);
        double scoreSeconds = Repeat(seconds, () => scorer.Score(features), out int scorePasses);
        StateMatrix states = batch.States;
        DistanceRatios ratios = DistanceRatios.Compute(reference, states, batch.Predicted, default, 1, search);
        double searchSeconds = Repeat(seconds, () => DistanceRatios.Compute(reference, states, batch.Predicted, default, 1, search), out int searchPasses);
        int queries = Batch;
        double pairs = 0;
        foreach (int p in batch.Predicted)
        {
            pairs += reference.ClassSize(p);
        }

        double flops = 2.0 * pairs * dimension * searchPasses;

        // Naive scalar loop over a subset (it is orders of magnitude slower), same arithmetic.
        int naiveQueries = (int)Math.Clamp(2_000_000_000.0 / (referenceCount * (double)dimension), 16, queries);
        var sw = Stopwatch.StartNew();
        double naivePairs = NaiveNearest(reference, states.Values, batch.Predicted, naiveQueries, ratios.NearestReference);
        double naiveSeconds = sw.Elapsed.TotalSeconds;

        // The same shape as one class's search: 4 096 queries × |T_c| references × D, as one ONNX Runtime MatMul.
        int classSize = (referenceCount + classes - 1) / classes;
        CoreSgemm sgemm = CoreSgemm.Measure(queries, classSize, dimension, Math.Min(seconds, 2.0));
        Core.Neighbours.KernelIsa kernel = search.Kernel ?? Core.Neighbours.KernelSelection.Current;

        return new CoreBenchmarkResult(
            ReferenceCount: referenceCount,
            Dimension: dimension,
            Classes: classes,
            Queries: queries * scorePasses,
            ItemsPerSecond: queries * scorePasses / scoreSeconds,
            SearchGflops: flops / searchSeconds / 1e9,
            NaiveQueries: naiveQueries,
            NaiveItemsPerSecond: naiveQueries / naiveSeconds,
            NaiveGflops: 2.0 * naivePairs * dimension / naiveSeconds / 1e9,
            Kernel: kernel.ToString(),
            Sgemm: sgemm);
    }

    /// <summary>Runs <paramref name="action"/> until at least <paramref name="seconds"/> have passed (at least 3 times).</summary>
    private static double Repeat(double seconds, Action action, out int passes)
    {
        var clock = Stopwatch.StartNew();
        passes = 0;
        while (passes < 3 || clock.Elapsed.TotalSeconds < seconds)
        {
            action();
            passes++;
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The textbook loop: one scalar accumulation per pair, no blocking, no SIMD, one thread. Checks its answers against the kernel.</summary>
    private static double NaiveNearest(ReferenceSet reference, FeatureMatrix states, int[] predicted, int count, int[] expectedNearest)
    {
        float[] t = reference.States.Data;
        int d = reference.Dimension;
        double pairs = 0;
        for (int q = 0; q < count; q++)
        {
            ReadOnlySpan<float> x = states.Row(q);
            float best = float.PositiveInfinity;
            int bestIndex = -1;
            for (int r = 0; r < reference.Count; r++)
            {
                if (reference.Labels[r] != predicted[q])
                {
                    continue;
                }

                float sum = 0;
                for (int k = 0; k < d; k++)
                {
                    float diff = x[k] - t[(r * d) + k];
                    sum += diff * diff;
                }

                pairs++;
                if (sum < best)
                {
                    best = sum;
                    bestIndex = r;
                }
            }

            if (bestIndex != expectedNearest[q])
            {
                // Different summation order can flip exact near-ties; anything else is a kernel bug.
                float kernel = 0;
                for (int k = 0; k < d; k++)
                {
                    float diff = x[k] - t[(expectedNearest[q] * d) + k];
                    kernel += diff * diff;
                }

                if (Math.Abs(kernel - best) > 1e-4f * best)
                {
                    throw new InvalidOperationException($"Kernel and naive loop disagree on query {q}: {expectedNearest[q]} vs {bestIndex}.");
                }
            }
        }

        return pairs;
    }

    private static LinearHead RandomHead(Random random, int classes, int dimension)
    {
        var w = new double[classes * dimension];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (random.NextDouble() - 0.5) * 0.2;
        }

        return new LinearHead(w, new double[classes], classes, dimension);
    }

    private static FeatureMatrix RandomMatrix(Random random, int rows, int columns, double scale)
    {
        var data = new float[rows * columns];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() * scale);
        }

        return new FeatureMatrix(data, rows, columns);
    }
}
