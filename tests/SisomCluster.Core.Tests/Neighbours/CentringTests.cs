using SisomCluster.Core.Neighbours;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>
/// The GEMM form runs on rows centred on the references' mean (PackedRows.Centred, ARCHITECTURE.md §9): distances are
/// unchanged, the error bound shrinks with the centred norms, and every GEMM value stays within that bound of the true
/// squared distance — on states bunched around a common point, where the uncentred bound is wider than the spread of
/// the distances and nearly every reference would be refined.
/// </summary>
public sealed class CentringTests
{
    [Fact]
    public void Centred_pack_is_the_rows_minus_their_mean_with_the_same_indices()
    {
        (StateMatrix rows, _) = Bunched(seed: 1, references: 37, queries: 0, dimension: 19);
        int[] picked = [3, 0, 36, 5, 5];
        var pack = new PackedRows<float>(rows, picked);
        PackedRows<float> centred = pack.Centred();

        Assert.Same(centred, pack.Centred());
        Assert.Equal(pack.Indices, centred.Indices);
        Assert.Equal(pack.Stride, centred.Stride);
        Assert.NotNull(centred.Centre);
        for (int j = 0; j < pack.Stride; j++)
        {
            double mean = 0;
            for (int i = 0; i < pack.Count; i++)
            {
                mean += pack.Data[(i * pack.Stride) + j];
            }

            mean /= pack.Count;
            Assert.Equal((float)mean, centred.Centre![j]);
            for (int i = 0; i < pack.Count; i++)
            {
                // Padding past the dimension stays zero, so it still adds nothing to a distance.
                Assert.Equal(pack.Data[(i * pack.Stride) + j] - centred.Centre[j], centred.Data[(i * pack.Stride) + j]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelIsaTests.Kernels), MemberType = typeof(KernelIsaTests))]
    public void Gemm_values_of_centred_rows_are_within_the_centred_bound_and_the_bound_shrinks(KernelIsa isa)
    {
        (StateMatrix references, StateMatrix queries) = Bunched(seed: 7, references: 300, queries: 40, dimension: 512);
        PackedRows<float> refs = PackedRows<float>.All(references);
        PackedRows<float> qs = PackedRows<float>.All(queries);
        PackedRows<float> centred = refs.Centred();
        int nr = GemmKernel.TileReferences(isa);
        ReferencePanels panels = centred.Panels(nr);

        var centredQueries = new float[qs.Data.Length];
        PackedRows<float>.CentreRows(qs.Data, 0, qs.Count, qs.Stride, centred.Centre!, centredQueries);
        var queryNorms = new float[qs.Count];
        var wide = new double[qs.Stride];
        for (int i = 0; i < qs.Count; i++)
        {
            queryNorms[i] = PackedRows<float>.SquaredNorm(centredQueries.AsSpan(i * qs.Stride, qs.Stride), wide);
        }

        int tileStride = (refs.Count + nr - 1) / nr * nr;
        var tile = new float[qs.Count * tileStride];
        GemmKernel.ApproximateDistances(isa, centredQueries, qs.Stride, queryNorms, 0, qs.Count, panels, 0, refs.Count, tile, tileStride);

        double widestCentred = 0, narrowestUncentred = double.MaxValue;
        float[] uncentredQueryNorms = qs.SquaredNorms();
        for (int i = 0; i < qs.Count; i++)
        {
            double bound = GemmKernel.ErrorBound(Math.Sqrt(queryNorms[i]), panels.MaxNorm, qs.Stride);
            widestCentred = Math.Max(widestCentred, bound);
            narrowestUncentred = Math.Min(narrowestUncentred, GemmKernel.ErrorBound(Math.Sqrt(uncentredQueryNorms[i]), refs.Panels(nr).MaxNorm, qs.Stride));
            for (int j = 0; j < refs.Count; j++)
            {
                double exact = 0;
                for (int d = 0; d < qs.Dimension; d++)
                {
                    double diff = (double)qs.Data[(i * qs.Stride) + d] - refs.Data[(j * refs.Stride) + d];
                    exact += diff * diff;
                }

                Assert.True(Math.Abs(tile[(i * tileStride) + j] - exact) <= bound, $"pair ({i}, {j}): GEMM {tile[(i * tileStride) + j]}, exact {exact}, bound {bound}");
            }
        }

        // Sigmoid-like states around 0.5 (norm ≈ 11) with a spread of norm ≈ 0.6: centring cuts the bound by two orders of magnitude.
        Assert.True(widestCentred * 100 < narrowestUncentred, $"centred bound {widestCentred} vs uncentred {narrowestUncentred}");
    }

    /// <summary>Rows 0.5 + noise of about ±0.05 per element: states of a sigmoid with a small α, bunched around one point.</summary>
    private static (StateMatrix References, StateMatrix Queries) Bunched(int seed, int references, int queries, int dimension)
    {
        var random = new Random(seed);
        float[] Draw(int rows)
        {
            var data = new float[rows * dimension];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = 0.5f + (float)((random.NextDouble() - 0.5) * 0.1);
            }

            return data;
        }

        float[] r = Draw(references);
        float[] q = Draw(Math.Max(queries, 1));
        return (new StateMatrix(new FeatureMatrix(r, references, dimension)), new StateMatrix(new FeatureMatrix(q, Math.Max(queries, 1), dimension)));
    }
}
