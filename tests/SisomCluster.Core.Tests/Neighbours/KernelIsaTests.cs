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
