using SisomCluster.Core.Neighbours;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>
/// Packing, gathering, norms, centring and panels of a large pack run over row ranges on the thread pool
/// (PackedRows.ForRowRanges); the result is the plain sequential one, and the centre is the same for every thread count.
/// Search work items go through WorkQueue: each exactly once, whatever the degree of parallelism.
/// </summary>
public sealed class ParallelPackingTests
{
    // 1 200 × 300: 360 000 values, over the threshold where ranges run in parallel; 300 is no multiple of the vector width
    // on any machine, so the rows carry zero padding.
    private const int Rows = 1200, Dimension = 300;

    [Fact]
    public void A_large_pack_equals_the_sequential_copy_with_zero_padding()
    {
        StateMatrix states = Random(seed: 3);
        int[] picked = [.. Enumerable.Range(0, Rows).Select(i => (i * 7) % Rows)];
        var pack = new PackedRows<float>(states, picked);
        Assert.True(pack.Stride > Dimension, "the test needs padding");
        Assert.True((long)pack.Count * pack.Stride >= 1 << 18, "the test needs the parallel path");
        for (int i = 0; i < Rows; i++)
        {
            Assert.Equal(states.Values.Row(picked[i]).ToArray(), pack.Data.AsSpan(i * pack.Stride, Dimension).ToArray());
            Assert.All(pack.Data.AsSpan((i * pack.Stride) + Dimension, pack.Stride - Dimension).ToArray(), v => Assert.Equal(0f, v));
        }

        int[] positions = [.. Enumerable.Range(0, Rows).Reverse()];
        PackedRows<float> gathered = pack.Gather(positions);
        for (int i = 0; i < Rows; i++)
        {
            Assert.Equal(pack.Indices[positions[i]], gathered.Indices[i]);
            Assert.Equal(pack.Data.AsSpan(positions[i] * pack.Stride, pack.Stride).ToArray(), gathered.Data.AsSpan(i * pack.Stride, pack.Stride).ToArray());
        }

        float[] norms = pack.SquaredNorms();
        var scratch = new double[pack.Stride];
        for (int i = 0; i < Rows; i++)
        {
            Assert.Equal(PackedRows<float>.SquaredNorm(pack.Data.AsSpan(i * pack.Stride, pack.Stride), scratch), norms[i]);
        }
    }

    [Fact]
    public void The_centre_of_a_large_pack_is_summed_over_fixed_row_ranges_and_every_row_is_centred()
    {
        var pack = PackedRows<float>.All(Random(seed: 4));
        PackedRows<float> centred = pack.Centred();

        // The expected centre: partial sums over ranges of RowsPerRange(D) rows, added in range order (independent of threads
        // and of the padding).
        int range = PackedRows<float>.RowsPerRange(Dimension);
        var sum = new double[pack.Stride];
        for (int first = 0; first < Rows; first += range)
        {
            var partial = new double[pack.Stride];
            for (int i = first; i < Math.Min(Rows, first + range); i++)
            {
                for (int j = 0; j < pack.Stride; j++)
                {
                    partial[j] += pack.Data[(i * pack.Stride) + j];
                }
            }

            for (int j = 0; j < pack.Stride; j++)
            {
                sum[j] += partial[j];
            }
        }

        for (int j = 0; j < pack.Stride; j++)
        {
            Assert.Equal(j < Dimension ? (float)(sum[j] / Rows) : 0f, centred.Centre![j]);
        }

        for (int i = 0; i < Rows * pack.Stride; i++)
        {
            Assert.Equal(pack.Data[i] - centred.Centre![i % pack.Stride], centred.Data[i]);
        }
    }

    [Theory]
    [MemberData(nameof(KernelIsaTests.Kernels), MemberType = typeof(KernelIsaTests))]
    public void Panels_of_a_large_pack_hold_each_row_as_a_column_and_zeros_past_the_last(KernelIsa isa)
    {
        if (isa == KernelIsa.Difference)
        {
            return;
        }

        var pack = PackedRows<float>.All(Random(seed: 5));
        int width = GemmKernel.TileReferences(isa);
        ReferencePanels panels = pack.Panels(width);
        int count = (Rows + width - 1) / width * width;
        for (int i = 0; i < count; i++)
        {
            int panel = i / width, r = i % width;
            for (int k = 0; k < pack.Stride; k++)
            {
                float expected = i < Rows ? pack.Data[(i * pack.Stride) + k] : 0f;
                Assert.Equal(expected, panels.Data[((long)panel * pack.Stride * width) + ((long)k * width) + r]);
            }
        }

        Assert.Equal(pack.SquaredNorms(), panels.Norms.AsSpan(0, Rows).ToArray());
    }

    [Theory]
    [InlineData(0, -1)]
    [InlineData(1, -1)]
    [InlineData(79, -1)]
    [InlineData(79, 1)]
    [InlineData(79, 3)]
    [InlineData(2, 8)]
    public void The_work_queue_runs_every_item_once_with_one_scratch_per_thread(int count, int degree)
    {
        var runs = new int[count];
        var scratches = new System.Collections.Concurrent.ConcurrentBag<object>();
        WorkQueue.Run(
            count,
            degree,
            () =>
            {
                var scratch = new object();
                scratches.Add(scratch);
                return scratch;
            },
            (w, _) => Interlocked.Increment(ref runs[w]));

        Assert.All(runs, r => Assert.Equal(1, r));
        Assert.InRange(scratches.Count, count == 0 ? 0 : 1, Math.Max(1, degree == -1 ? Environment.ProcessorCount : degree));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void An_item_that_throws_stops_the_hand_out_and_its_error_surfaces(int degree)
    {
        int ran = 0;
        Exception error = Assert.ThrowsAny<Exception>(() => WorkQueue.Run(
            100_000,
            degree,
            () => 0,
            (w, _) =>
            {
                Interlocked.Increment(ref ran);
                if (w == 10)
                {
                    throw new InvalidOperationException("item 10 failed");
                }

                Thread.Sleep(1); // 100 s of items, if the hand-out went on
            }));

        Exception inner = error is AggregateException aggregate ? Assert.Single(aggregate.InnerExceptions) : error;
        Assert.Equal("item 10 failed", inner.Message);

        // Items already taken finish; no thread takes a new one: a handful of the 100 000 (bounded at a fifth, for a loaded
        // machine on which throwing the first exception is slow while the other threads go on).
        Assert.InRange(ran, 11, 20_000);
    }

    private static StateMatrix Random(int seed)
    {
        var random = new Random(seed);
        var data = new float[Rows * Dimension];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return new StateMatrix(new FeatureMatrix(data, Rows, Dimension));
    }
}
