using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SisomCluster.Core.Neighbours;

/// <summary>
/// Approximate float32 squared distances in the GEMM form ‖x‖² + ‖t‖² − 2x·t (ARCHITECTURE.md §9): one FMA per
/// (pair, element) instead of the difference form's subtract + FMA, in a register tile of MR queries × NR references
/// (NR = two vectors). References are packed once into panels of NR rows stored element-major, so each step loads two
/// vectors of references and broadcasts MR query elements. The result only chooses candidates: it can be off by
/// <see cref="ErrorBound"/>, and every candidate that can reach the k best is recomputed in the difference form.
/// </summary>
internal static class GemmKernel
{
    public static int TileQueries(KernelIsa isa) => isa == KernelIsa.Vector512 ? 8 : 6;

    public static int TileReferences(KernelIsa isa) => isa switch
    {
        KernelIsa.Vector512 => 32,
        KernelIsa.Vector256 => 16,
        KernelIsa.Vector128 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "no GEMM for the difference form"),
    };

    /// <summary>
    /// A bound on |GEMM-form value − difference-form value| for rows of norms ‖x‖, ‖t‖ over <paramref name="length"/>
    /// elements, both float32 with FMA accumulation: each is within γ_n·(‖x‖ + ‖t‖)² of the true value (γ_n = n·u/(1 − n·u),
    /// u = 2⁻²⁴, n = length + a few for the final adds and the horizontal sum); taken three times over for margin. When the
    /// GEMM runs on centred rows x' = fl(x − μ), t' = fl(t − μ) (<see cref="PackedRows{T}.Centred"/>) and ‖x‖, ‖t‖ are their
    /// norms: x' − t' differs from x − t by at most u·(‖x'‖ + ‖t'‖)/(1 − u), which moves the squared distance by less than
    /// 3u·(‖x'‖ + ‖t'‖)²; the bound adds 4u·(‖x'‖ + ‖t'‖)² for it (the difference form still runs on the uncentred rows).
    /// </summary>
    public static double ErrorBound(double normX, double normT, int length)
    {
        double n = length + 32;
        const double U = 1.0 / (1 << 24);
        double gamma = n * U / (1 - (n * U));
        double s = normX + normT;
        return ((3 * gamma) + (4 * U)) * s * s;
    }

    /// <summary>
    /// tile[i·tileStride + j] ≈ ‖a_i − t_j‖² for query rows aStart..aStart+na of <paramref name="a"/> (rows of
    /// <paramref name="stride"/>, squared norms in <paramref name="queryNorms"/>, both indexed from 0) and the references
    /// of panels refStart/NR.. (refStart a multiple of NR, nb rounded up to whole panels: padded columns hold ‖a_i‖²).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void ApproximateDistances(KernelIsa isa, float[] a, int stride, float[] queryNorms, int aStart, int na, ReferencePanels panels, int refStart, int nb, float[] tile, int tileStride)
    {
        int mr = TileQueries(isa);
        int nr = panels.Width;
        int depth = panels.Depth;
        if (stride != depth)
        {
            throw new ArgumentException("Queries and reference panels must share a stride.", nameof(panels));
        }

        int panelCount = (nb + nr - 1) / nr;
        float** rows = stackalloc float*[mr];
        float* norms = stackalloc float[mr];
        fixed (float* pa = a)
        fixed (float* pp = panels.Data)
        fixed (float* pn = panels.Norms)
        fixed (float* pt = tile)
        {
            for (int i = 0; i < na; i += mr)
            {
                // A short last tile repeats its last query; the extra rows are computed and never written.
                int rowsHere = Math.Min(mr, na - i);
                for (int r = 0; r < mr; r++)
                {
                    int q = aStart + i + Math.Min(r, rowsHere - 1);
                    rows[r] = pa + ((long)q * stride);
                    norms[r] = queryNorms[q];
                }

                for (int p = 0; p < panelCount; p++)
                {
                    int panel = (refStart / nr) + p;
                    float* b = pp + ((long)panel * depth * nr);
                    float* bn = pn + ((long)panel * nr);
                    float* o = pt + ((long)i * tileStride) + (p * nr);
                    switch (isa)
                    {
                        case KernelIsa.Vector512:
                            Micro512(rows, norms, b, bn, depth, o, tileStride, rowsHere);
                            break;
                        case KernelIsa.Vector256:
                            Micro256(rows, norms, b, bn, depth, o, tileStride, rowsHere);
                            break;
                        default:
                            Micro128(rows, norms, b, bn, depth, o, tileStride, rowsHere);
                            break;
                    }
                }
            }
        }
    }

    // Not inlined: only the ISA in use is compiled (JIT time counts in a short scoring call).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Micro512(float** rows, float* norms, float* b, float* bn, int depth, float* o, int stride, int rowsHere)
    {
        float* a0 = rows[0], a1 = rows[1], a2 = rows[2], a3 = rows[3], a4 = rows[4], a5 = rows[5], a6 = rows[6], a7 = rows[7];
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int k = 0; k < depth; k++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            b += 32;
            Vector512<float> x = Vector512.Create(a0[k]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[k]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[k]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[k]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[k]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[k]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[k]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[k]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }

        Vector512<float> n0 = Vector512.Load(bn);
        Vector512<float> n1 = Vector512.Load(bn + 16);
        Store512(o, 0, stride, rowsHere, norms, n0, n1, c00, c01);
        Store512(o, 1, stride, rowsHere, norms, n0, n1, c10, c11);
        Store512(o, 2, stride, rowsHere, norms, n0, n1, c20, c21);
        Store512(o, 3, stride, rowsHere, norms, n0, n1, c30, c31);
        Store512(o, 4, stride, rowsHere, norms, n0, n1, c40, c41);
        Store512(o, 5, stride, rowsHere, norms, n0, n1, c50, c51);
        Store512(o, 6, stride, rowsHere, norms, n0, n1, c60, c61);
        Store512(o, 7, stride, rowsHere, norms, n0, n1, c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store512(float* o, int row, int stride, int rowsHere, float* norms, Vector512<float> n0, Vector512<float> n1, Vector512<float> c0, Vector512<float> c1)
    {
        if (row >= rowsHere)
        {
            return;
        }

        Vector512<float> q = Vector512.Create(norms[row]);
        Vector512<float> minusTwo = Vector512.Create(-2f);
        float* p = o + ((long)row * stride);
        Vector512.FusedMultiplyAdd(minusTwo, c0, q + n0).Store(p);
        Vector512.FusedMultiplyAdd(minusTwo, c1, q + n1).Store(p + 16);
    }

    // Not inlined: only the ISA in use is compiled (JIT time counts in a short scoring call).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Micro256(float** rows, float* norms, float* b, float* bn, int depth, float* o, int stride, int rowsHere)
    {
        float* a0 = rows[0], a1 = rows[1], a2 = rows[2], a3 = rows[3], a4 = rows[4], a5 = rows[5];
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int k = 0; k < depth; k++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            b += 16;
            Vector256<float> x = Vector256.Create(a0[k]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[k]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[k]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[k]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[k]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[k]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }

        Vector256<float> n0 = Vector256.Load(bn);
        Vector256<float> n1 = Vector256.Load(bn + 8);
        Store256(o, 0, stride, rowsHere, norms, n0, n1, c00, c01);
        Store256(o, 1, stride, rowsHere, norms, n0, n1, c10, c11);
        Store256(o, 2, stride, rowsHere, norms, n0, n1, c20, c21);
        Store256(o, 3, stride, rowsHere, norms, n0, n1, c30, c31);
        Store256(o, 4, stride, rowsHere, norms, n0, n1, c40, c41);
        Store256(o, 5, stride, rowsHere, norms, n0, n1, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store256(float* o, int row, int stride, int rowsHere, float* norms, Vector256<float> n0, Vector256<float> n1, Vector256<float> c0, Vector256<float> c1)
    {
        if (row >= rowsHere)
        {
            return;
        }

        Vector256<float> q = Vector256.Create(norms[row]);
        Vector256<float> minusTwo = Vector256.Create(-2f);
        float* p = o + ((long)row * stride);
        Vector256.FusedMultiplyAdd(minusTwo, c0, q + n0).Store(p);
        Vector256.FusedMultiplyAdd(minusTwo, c1, q + n1).Store(p + 8);
    }

    // Not inlined: only the ISA in use is compiled (JIT time counts in a short scoring call).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Micro128(float** rows, float* norms, float* b, float* bn, int depth, float* o, int stride, int rowsHere)
    {
        float* a0 = rows[0], a1 = rows[1], a2 = rows[2], a3 = rows[3], a4 = rows[4], a5 = rows[5];
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int k = 0; k < depth; k++)
        {
            Vector128<float> b0 = Vector128.Load(b);
            Vector128<float> b1 = Vector128.Load(b + 4);
            b += 8;
            Vector128<float> x = Vector128.Create(a0[k]);
            c00 = Vector128.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector128.FusedMultiplyAdd(x, b1, c01);
            x = Vector128.Create(a1[k]);
            c10 = Vector128.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector128.FusedMultiplyAdd(x, b1, c11);
            x = Vector128.Create(a2[k]);
            c20 = Vector128.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector128.FusedMultiplyAdd(x, b1, c21);
            x = Vector128.Create(a3[k]);
            c30 = Vector128.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector128.FusedMultiplyAdd(x, b1, c31);
            x = Vector128.Create(a4[k]);
            c40 = Vector128.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector128.FusedMultiplyAdd(x, b1, c41);
            x = Vector128.Create(a5[k]);
            c50 = Vector128.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector128.FusedMultiplyAdd(x, b1, c51);
        }

        Vector128<float> n0 = Vector128.Load(bn);
        Vector128<float> n1 = Vector128.Load(bn + 4);
        Store128(o, 0, stride, rowsHere, norms, n0, n1, c00, c01);
        Store128(o, 1, stride, rowsHere, norms, n0, n1, c10, c11);
        Store128(o, 2, stride, rowsHere, norms, n0, n1, c20, c21);
        Store128(o, 3, stride, rowsHere, norms, n0, n1, c30, c31);
        Store128(o, 4, stride, rowsHere, norms, n0, n1, c40, c41);
        Store128(o, 5, stride, rowsHere, norms, n0, n1, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store128(float* o, int row, int stride, int rowsHere, float* norms, Vector128<float> n0, Vector128<float> n1, Vector128<float> c0, Vector128<float> c1)
    {
        if (row >= rowsHere)
        {
            return;
        }

        Vector128<float> q = Vector128.Create(norms[row]);
        Vector128<float> minusTwo = Vector128.Create(-2f);
        float* p = o + ((long)row * stride);
        Vector128.FusedMultiplyAdd(minusTwo, c0, q + n0).Store(p);
        Vector128.FusedMultiplyAdd(minusTwo, c1, q + n1).Store(p + 4);
    }
}

/// <summary>
/// References packed for <see cref="GemmKernel"/>: panels of <see cref="Width"/> rows, element-major
/// (Data[panel·Depth·Width + k·Width + r]), zero-padded to whole panels, with float32 squared norms.
/// </summary>
internal sealed class ReferencePanels
{
    public ReferencePanels(PackedRows<float> rows, int width)
    {
        Width = width;
        Depth = rows.Stride;
        int panels = (rows.Count + width - 1) / width;
        Data = new float[checked(panels * Depth * width)];
        Norms = new float[panels * width];
        float[] source = rows.Data;
        float[] data = Data;
        int depth = Depth;

        // Row ranges of whole panels (each panel is written by one range only).
        int rowsPerRange = Math.Max(width, PackedRows<float>.RowsPerRange(depth) / width * width);
        PackedRows<float>.ForRowRanges((rows.Count + rowsPerRange - 1) / rowsPerRange, rowsPerRange * depth, (firstRange, endRange) =>
        {
            for (int i = firstRange * rowsPerRange; i < Math.Min(rows.Count, endRange * rowsPerRange); i++)
            {
                int panel = i / width;
                int r = i % width;
                long baseIndex = (long)panel * depth * width;
                int rowStart = i * depth;
                for (int k = 0; k < depth; k++)
                {
                    data[baseIndex + ((long)k * width) + r] = source[rowStart + k];
                }
            }
        });

        rows.SquaredNorms().AsSpan().CopyTo(Norms);
        MaxNorm = 0;
        foreach (float n in rows.SquaredNorms())
        {
            MaxNorm = Math.Max(MaxNorm, Math.Sqrt(n));
        }
    }

    public int Width { get; }

    public int Depth { get; }

    public float[] Data { get; }

    public float[] Norms { get; }

    /// <summary>The largest ‖t‖ (for the error bound).</summary>
    public double MaxNorm { get; }
}
