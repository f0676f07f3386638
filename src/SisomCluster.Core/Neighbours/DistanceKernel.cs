using System.Numerics;
using System.Runtime.CompilerServices;

namespace SisomCluster.Core.Neighbours;

/// <summary>
/// Squared Euclidean distances between two blocks of packed rows (SISOM.md §5, ARCHITECTURE.md §9).
/// </summary>
/// <remarks>
/// The difference form Σ (x − t)² is used rather than ‖x‖² + ‖t‖² − 2x·t: the expanded form
/// cancels catastrophically for near-duplicates, and near-duplicates are exactly where r is
/// decided. A 3×3 register tile keeps 9 vector accumulators and the 3 query vectors live; per element it issues one
/// subtract and one FMA per pair, which on cores with separate add and FMA pipes (Zen, recent
/// Intel) run side by side. Every pair, whether it falls in a full tile or on an edge, is summed
/// lane by lane in the same order and reduced with the same horizontal sum, so a distance is
/// bit-identical whatever the block size or thread count.
/// </remarks>
internal static class DistanceKernel
{
    public const int TileQueries = 3;
    public const int TileReferences = 3;

    /// <summary>
    /// tile[i·nb + j] = ‖a_i − b_j‖² for a_i = rows aStart.. of <paramref name="a"/> and b_j = rows bStart.. of <paramref name="b"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void SquaredDistances<T>(PackedRows<T> a, int aStart, int na, PackedRows<T> b, int bStart, int nb, Span<T> tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int stride = a.Stride;
        if (b.Stride != stride)
        {
            throw new ArgumentException("Packed blocks must share a stride.", nameof(b));
        }

        if (tile.Length < na * nb)
        {
            throw new ArgumentException("Distance tile too small.", nameof(tile));
        }

        fixed (T* pa = a.Data)
        fixed (T* pb = b.Data)
        fixed (T* pt = tile)
        {
            T* a0 = pa + ((long)aStart * stride);
            T* b0 = pb + ((long)bStart * stride);
            int i = 0;
            for (; i + TileQueries <= na; i += TileQueries)
            {
                T* q = a0 + ((long)i * stride);
                int j = 0;
                for (; j + TileReferences <= nb; j += TileReferences)
                {
                    Kernel3x3(q, b0 + ((long)j * stride), stride, pt + ((long)i * nb) + j, nb);
                }

                for (; j < nb; j++)
                {
                    T* r = b0 + ((long)j * stride);
                    for (int ii = 0; ii < TileQueries; ii++)
                    {
                        pt[((long)(i + ii) * nb) + j] = Kernel1x1(q + ((long)ii * stride), r, stride);
                    }
                }
            }

            for (; i < na; i++)
            {
                T* q = a0 + ((long)i * stride);
                for (int j = 0; j < nb; j++)
                {
                    pt[((long)i * nb) + j] = Kernel1x1(q, b0 + ((long)j * stride), stride);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static unsafe T Kernel1x1<T>(T* q, T* r, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> acc = Vector<T>.Zero;
        int lanes = Vector<T>.Count;
        for (int k = 0; k < stride; k += lanes)
        {
            Vector<T> d = Vector.Load(q + k) - Vector.Load(r + k);
            acc = Fma(d, d, acc);
        }

        return Vector.Sum(acc);
    }

    /// <summary>3 queries × 3 references: the three query vectors stay in registers (9 accumulators + 3 + 2 = 14 of 16 AVX2 registers), so each step loads 6 vectors for 9 pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel3x3<T>(T* q, T* r, int stride, T* output, int outputStride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> c00 = Vector<T>.Zero, c01 = Vector<T>.Zero, c02 = Vector<T>.Zero;
        Vector<T> c10 = Vector<T>.Zero, c11 = Vector<T>.Zero, c12 = Vector<T>.Zero;
        Vector<T> c20 = Vector<T>.Zero, c21 = Vector<T>.Zero, c22 = Vector<T>.Zero;
        T* q0 = q;
        T* q1 = q + stride;
        T* q2 = q1 + stride;
        T* r0 = r;
        T* r1 = r + stride;
        T* r2 = r1 + stride;
        int lanes = Vector<T>.Count;
        for (int k = 0; k < stride; k += lanes)
        {
            Vector<T> x0 = Vector.Load(q0 + k);
            Vector<T> x1 = Vector.Load(q1 + k);
            Vector<T> x2 = Vector.Load(q2 + k);

            Vector<T> t = Vector.Load(r0 + k);
            Vector<T> d = x0 - t;
            c00 = Fma(d, d, c00);
            d = x1 - t;
            c10 = Fma(d, d, c10);
            d = x2 - t;
            c20 = Fma(d, d, c20);

            t = Vector.Load(r1 + k);
            d = x0 - t;
            c01 = Fma(d, d, c01);
            d = x1 - t;
            c11 = Fma(d, d, c11);
            d = x2 - t;
            c21 = Fma(d, d, c21);

            t = Vector.Load(r2 + k);
            d = x0 - t;
            c02 = Fma(d, d, c02);
            d = x1 - t;
            c12 = Fma(d, d, c12);
            d = x2 - t;
            c22 = Fma(d, d, c22);
        }

        T* o0 = output;
        T* o1 = o0 + outputStride;
        T* o2 = o1 + outputStride;
        o0[0] = Vector.Sum(c00);
        o0[1] = Vector.Sum(c01);
        o0[2] = Vector.Sum(c02);
        o1[0] = Vector.Sum(c10);
        o1[1] = Vector.Sum(c11);
        o1[2] = Vector.Sum(c12);
        o2[0] = Vector.Sum(c20);
        o2[1] = Vector.Sum(c21);
        o2[2] = Vector.Sum(c22);
    }

    /// <summary>a·b + c in one rounding where the hardware has FMA; the type tests fold away per instantiation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Fma<T>(Vector<T> a, Vector<T> b, Vector<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        }

        if (typeof(T) == typeof(double))
        {
            return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        }

        return (a * b) + c;
    }
}
