using SisomCluster.Core.Neighbours;
using SisomCluster.Core.States;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>
/// The float32 GEMM-form kernels (Vector512, Vector256, Vector128) against the difference form (ARCHITECTURE.md §9):
/// the same neighbours and bit-identical distances, whatever the ISA, block sizes or thread count, including where the
/// GEMM form cancels (a large common offset) and on exact ties.
/// </summary>
public sealed class KernelIsaTests
{
    public static TheoryData<KernelIsa> Kernels()
    {
        var data = new TheoryData<KernelIsa>();
        foreach (KernelIsa isa in new[] { KernelIsa.Vector128, KernelIsa.Vector256, KernelIsa.Vector512 })
        {
            if (KernelSelection.IsSupported(isa))
            {
                data.Add(isa);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Gemm_kernels_find_the_difference_forms_neighbours_bit_for_bit(KernelIsa isa)
    {
        foreach ((int seed, int references, int queries, int dimension, int k, float offset) in new[]
        {
            (1, 101, 67, 37, 1, 0f),
            (2, 300, 130, 64, 5, 0f),
            (3, 1700, 70, 512, 50, 0f), // k = 50 needs ≥ 32·k references to take the GEMM path
            (4, 200, 90, 24, 3, 1000f), // ‖x‖² ≈ 2.4e7 against distances ≈ 1: the GEMM form alone cancels to noise
            (5, 40, 33, 9, 60, 0f), // k larger than the reference count
        })
        {
            (StateMatrix refs, StateMatrix qs) = Data(seed, references, queries, dimension, offset);
            SearchJob<float> expected = Search(refs, qs, k, new NeighbourSearchOptions { Kernel = KernelIsa.Difference, MaxDegreeOfParallelism = 1 });
            foreach (NeighbourSearchOptions options in new[]
            {
                new NeighbourSearchOptions { Kernel = isa },
                new NeighbourSearchOptions { Kernel = isa, QueryBlockSize = 7, ReferenceBlockSize = 5, MaxDegreeOfParallelism = 1 },
                new NeighbourSearchOptions { Kernel = isa, QueryBlockSize = 200, ReferenceBlockSize = 1000, MaxDegreeOfParallelism = 3 },
            })
            {
                SearchJob<float> actual = Search(refs, qs, k, options);
                Assert.Equal(expected.BestIndex, actual.BestIndex);
                Assert.Equal(expected.BestDistance, actual.BestDistance);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Gemm_kernels_keep_exclusions_and_tie_order(KernelIsa isa)
    {
        // Every reference twice (exact ties broken by the lower index), labels in 3 classes, queries are the references
        // themselves: leave-one-out by identity (KNN, LOO ratios) and by label (margins).
        (StateMatrix refs, _) = Data(6, 90, 1, 20, 0f);
        var doubled = new float[180 * 20];
        refs.Values.Data.CopyTo(doubled, 0);
        refs.Values.Data.CopyTo(doubled, 90 * 20);
        var all = new StateMatrix(new FeatureMatrix(doubled, 180, 20));
        int[] labels = Enumerable.Range(0, 180).Select(i => i % 3).ToArray();
        int[] self = Enumerable.Range(0, 180).ToArray();
        foreach (bool byLabel in new[] { false, true })
        {
            SearchJob<float> Run(KernelIsa kernel)
            {
                PackedRows<float> pack = PackedRows<float>.All(all);
                var job = byLabel
                    ? new SearchJob<float>(pack, pack, 4) { ExcludeLabel = labels, ReferenceLabels = labels }
                    : new SearchJob<float>(pack, pack, 4) { ExcludeIndex = self };
                NeighbourSearch.Run([job], new NeighbourSearchOptions { Kernel = kernel, QueryBlockSize = 16 });
                return job;
            }

            SearchJob<float> expected = Run(KernelIsa.Difference);
            SearchJob<float> actual = Run(isa);
            Assert.Equal(expected.BestIndex, actual.BestIndex);
            Assert.Equal(expected.BestDistance, actual.BestDistance);
            for (int q = 0; q < 180; q++)
            {
                Assert.NotEqual(q, actual.Index(q, 0));
                if (byLabel)
                {
                    Assert.NotEqual(labels[q], labels[actual.Index(q, 0)]);
                }
                else
                {
                    // The twin, at distance 0, then the other rows in (distance, index) order.
                    Assert.Equal(q < 90 ? q + 90 : q - 90, actual.Index(q, 0));
                    Assert.Equal(0.0, actual.BestDistance[q * 4]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Gemm_kernels_agree_with_a_double_precision_brute_force(KernelIsa isa)
    {
        (StateMatrix refs, StateMatrix qs) = Data(7, 150, 40, 33, 0f);
        SearchJob<float> job = Search(refs, qs, 3, new NeighbourSearchOptions { Kernel = isa });
        for (int q = 0; q < 40; q++)
        {
            double[] exact = Enumerable.Range(0, 150).Select(r => Distance2(qs.Values.Row(q), refs.Values.Row(r))).ToArray();
            int[] order = Enumerable.Range(0, 150).OrderBy(r => exact[r]).ThenBy(r => r).Take(3).ToArray();
            for (int rank = 0; rank < 3; rank++)
            {
                Assert.Equal(order[rank], job.Index(q, rank));
                Assert.Equal(exact[order[rank]], job.BestDistance[(q * 3) + rank], 1e-4 * exact[order[rank]]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Self_join_finds_the_row_wise_searchs_neighbours_bit_for_bit(KernelIsa isa)
    {
        // Rows with exact twins (ties broken by the lower index), a count that is no multiple of any block, and a shifted set
        // where the GEMM form alone cancels; without labels (KNN leave-one-out) and with labels (same class, other classes).
        foreach ((int seed, int rows, int dimension, int k, float offset) in new[]
        {
            (11, 70, 20, 1, 0f),
            (12, 333, 37, 5, 0f),
            (13, 1650, 64, 50, 0f),
            (14, 250, 24, 3, 1000f),
        })
        {
            (StateMatrix source, StateMatrix copies) = Data(seed, rows / 2, rows - (rows / 2), dimension, offset);
            var data = new float[rows * dimension];
            source.Values.Data.CopyTo(data, 0);
            copies.Values.Data.CopyTo(data, source.Values.Data.Length);
            PackedRows<float> pack = PackedRows<float>.All(new StateMatrix(new FeatureMatrix(data, rows, dimension)));
            int[] self = Enumerable.Range(0, rows).ToArray();
            int[] labels = self.Select(i => (i * 7 % 13) % 3).ToArray();
            var byIndex = new SearchJob<float>(pack, pack, k) { ExcludeIndex = self };
            var otherClass = new SearchJob<float>(pack, pack, k) { ExcludeLabel = labels, ReferenceLabels = labels };
            NeighbourSearch.Run([byIndex, otherClass], new NeighbourSearchOptions { Kernel = KernelIsa.Difference });
            (double[] sameD, int[] sameI) = SameClass(pack, labels, k);
            foreach (NeighbourSearchOptions options in new[]
            {
                new NeighbourSearchOptions { Kernel = isa },
                new NeighbourSearchOptions { Kernel = isa, QueryBlockSize = 7, MaxDegreeOfParallelism = 1 },
                new NeighbourSearchOptions { Kernel = isa, QueryBlockSize = 200, MaxDegreeOfParallelism = 3 },
            })
            {
                Assert.True(NeighbourSearch.CanSelfJoin(pack, k, options));
                SearchJob<float> all = Assert.Single(NeighbourSearch.SelfJoin(pack, k, null, options));
                Assert.Equal(byIndex.BestIndex, all.BestIndex);
                Assert.Equal(byIndex.BestDistance, all.BestDistance);
                SearchJob<float>[] split = NeighbourSearch.SelfJoin(pack, k, labels, options);
                Assert.Equal(sameI, split[0].BestIndex);
                Assert.Equal(sameD, split[0].BestDistance);
                Assert.Equal(otherClass.BestIndex, split[1].BestIndex);
                Assert.Equal(otherClass.BestDistance, split[1].BestDistance);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Reference_state_and_knn_leave_one_out_from_the_self_join_equal_the_difference_forms(KernelIsa isa)
    {
        (StateMatrix source, StateMatrix copies) = Data(21, 900, 900, 48, 0f);
        var data = new float[1800 * 48];
        source.Values.Data.CopyTo(data, 0);
        copies.Values.Data.CopyTo(data, source.Values.Data.Length);
        var states = new StateMatrix(new FeatureMatrix(data, 1800, 48));
        int[] labels = Enumerable.Range(0, 1800).Select(i => i % 4).ToArray();
        var gemm = new NeighbourSearchOptions { Kernel = isa };
        var difference = new NeighbourSearchOptions { Kernel = KernelIsa.Difference };
        Assert.True(NeighbourSearch.CanSelfJoin(PackedRows<float>.All(states), 1, gemm));
        Assert.False(NeighbourSearch.CanSelfJoin(PackedRows<float>.All(states), 1, difference));
        Reference.ReferenceState expected = Reference.ReferenceState.Compute(states, labels, difference);
        Reference.ReferenceState actual = Reference.ReferenceState.Compute(states, labels, gemm);
        Assert.Equal(expected.Margins, actual.Margins);
        Assert.Equal(expected.MarginNeighbours, actual.MarginNeighbours);
        Assert.Equal(expected.LooDistances, actual.LooDistances);
        Assert.Equal(expected.LooNeighbours, actual.LooNeighbours);
        Assert.Equal(1800, actual.FullSearches);
        Assert.Equal(
            new Baselines.KnnScorer(states.Values, 50, difference).LeaveOneOut(),
            new Baselines.KnnScorer(states.Values, 50, gemm).LeaveOneOut());
    }

    /// <summary>The k nearest rows of the same label, leave-one-out by identity, one difference-form search per label.</summary>
    private static (double[] Distances, int[] Indices) SameClass(PackedRows<float> pack, int[] labels, int k)
    {
        var distances = new double[pack.Count * k];
        var indices = new int[pack.Count * k];
        var states = new StateMatrix(new FeatureMatrix(Enumerable.Range(0, pack.Count).SelectMany(i => pack.Data.AsSpan(i * pack.Stride, pack.Dimension).ToArray()).ToArray(), pack.Count, pack.Dimension));
        foreach (int label in labels.Distinct())
        {
            int[] members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == label).ToArray();
            var rows = new PackedRows<float>(states, members);
            var job = new SearchJob<float>(rows, rows, k) { ExcludeIndex = members };
            NeighbourSearch.Run([job], new NeighbourSearchOptions { Kernel = KernelIsa.Difference });
            for (int q = 0; q < members.Length; q++)
            {
                job.BestDistance.AsSpan(q * k, k).CopyTo(distances.AsSpan(members[q] * k, k));
                job.BestIndex.AsSpan(q * k, k).CopyTo(indices.AsSpan(members[q] * k, k));
            }
        }

        return (distances, indices);
    }

    [Fact]
    public void Kth_smallest_is_the_sorted_arrays_value_at_that_rank()
    {
        // Candidate thresholds (GEMM-form search and self-join) take the k-th smallest by quickselect: it must be the sort's
        // value at every rank, with many duplicates (ties at the threshold), sorted, reversed and constant inputs.
        var random = new Random(5);
        foreach (int length in new[] { 1, 2, 3, 7, 64, 200, 1000 })
        {
            float[][] inputs =
            [
                [.. Enumerable.Range(0, length).Select(_ => (float)random.Next(0, 5))],
                [.. Enumerable.Range(0, length).Select(_ => (float)random.NextDouble())],
                [.. Enumerable.Range(0, length).Select(i => (float)i)],
                [.. Enumerable.Range(0, length).Select(i => (float)(length - i))],
                [.. Enumerable.Repeat(3f, length)],
            ];
            foreach (float[] input in inputs)
            {
                float[] sorted = [.. input.Order()];
                for (int rank = 0; rank < length; rank++)
                {
                    float[] work = (float[])input.Clone();
                    Assert.Equal(sorted[rank], NeighbourSearch.KthSmallest(work, rank));
                    Assert.Equal(sorted, work.Order());
                }
            }
        }
    }

    [Fact]
    public void Kernel_names_parse_and_unsupported_ones_are_refused()
    {
        Assert.Equal(KernelIsa.Vector512, KernelSelection.Parse("avx512"));
        Assert.Equal(KernelIsa.Vector256, KernelSelection.Parse("AVX2"));
        Assert.Equal(KernelIsa.Vector128, KernelSelection.Parse("neon"));
        Assert.Equal(KernelIsa.Difference, KernelSelection.Parse("difference"));
        Assert.Contains("expected difference", Assert.Throws<ArgumentException>(() => KernelSelection.Parse("avx9000")).Message, StringComparison.Ordinal);
        Assert.True(KernelSelection.IsSupported(KernelSelection.Best));
        foreach (KernelIsa isa in Enum.GetValues<KernelIsa>().Where(i => !KernelSelection.IsSupported(i)))
        {
            var job = new SearchJob<float>(PackedRows<float>.All(Data(1, 3, 1, 4, 0f).References), PackedRows<float>.All(Data(1, 3, 1, 4, 0f).References), 1);
            Assert.Throws<PlatformNotSupportedException>(() => NeighbourSearch.Run([job], new NeighbourSearchOptions { Kernel = isa }));
        }
    }

    private static SearchJob<float> Search(StateMatrix refs, StateMatrix qs, int k, NeighbourSearchOptions options)
    {
        var job = new SearchJob<float>(PackedRows<float>.All(qs), PackedRows<float>.All(refs), k);
        NeighbourSearch.Run([job], options);
        return job;
    }

    private static double Distance2(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }

        return sum;
    }

    /// <summary>References, and queries that are near-copies of references (some exact copies), all shifted by <paramref name="offset"/>.</summary>
    private static (StateMatrix References, StateMatrix Queries) Data(int seed, int references, int queries, int dimension, float offset)
    {
        var random = new Random(seed);
        var r = new float[references * dimension];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = offset + (float)random.NextDouble();
        }

        var q = new float[queries * dimension];
        for (int i = 0; i < queries; i++)
        {
            int source = random.Next(references);
            double noise = i % 3 == 0 ? 0 : i % 3 == 1 ? 1e-3 : 0.3;
            for (int d = 0; d < dimension; d++)
            {
                q[(i * dimension) + d] = r[(source * dimension) + d] + (float)(noise * (random.NextDouble() - 0.5));
            }
        }

        return (new StateMatrix(new FeatureMatrix(r, references, dimension)), new StateMatrix(new FeatureMatrix(q, queries, dimension)));
    }
}
