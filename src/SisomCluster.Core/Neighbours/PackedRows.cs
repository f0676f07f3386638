using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace SisomCluster.Core.Neighbours;

/// <summary>
/// A gathered copy of some rows of a state matrix, each padded with zeros to a whole number of SIMD
/// vectors, so the distance kernel never needs a scalar tail (zeros add nothing to ‖x − t‖²).
/// </summary>
internal sealed class PackedRows<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public PackedRows(StateMatrix source, ReadOnlySpan<int> rows)
    {
        Count = rows.Length;
        Dimension = source.Columns;
        Stride = StrideFor(source.Columns);

        // Every value is written when there is no padding; padding must stay zero.
        Data = Stride == Dimension ? GC.AllocateUninitializedArray<T>(checked(Count * Stride)) : new T[checked(Count * Stride)];
        Indices = rows.ToArray();
        int[] indices = Indices;
        T[] data = Data;
        int stride = Stride, dimension = Dimension;
        ForRowRanges(Count, Stride, (first, end) =>
        {
            for (int i = first; i < end; i++)
            {
                source.CopyRow(indices[i], data.AsSpan(i * stride, dimension));
            }
        });
    }

    private PackedRows(PackedRows<T> source, ReadOnlySpan<int> positions)
    {
        Count = positions.Length;
        Dimension = source.Dimension;
        Stride = source.Stride;
        Data = GC.AllocateUninitializedArray<T>(checked(Count * Stride));
        Indices = new int[Count];
        int[] at = positions.ToArray();
        T[] data = Data;
        int[] indices = Indices;
        int stride = Stride;
        ForRowRanges(Count, Stride, (first, end) =>
        {
            for (int i = first; i < end; i++)
            {
                source.Data.AsSpan(at[i] * stride, stride).CopyTo(data.AsSpan(i * stride, stride));
                indices[i] = source.Indices[at[i]];
            }
        });
    }

    private PackedRows(int count, int dimension, int stride, T[] data, int[] indices, float[] centre)
    {
        Count = count;
        Dimension = dimension;
        Stride = stride;
        Data = data;
        Indices = indices;
        Centre = centre;
    }

    private float[]? _squaredNorms;
    private ReferencePanels? _panels;
    private PackedRows<float>? _centred;

    public int Count { get; }

    public int Dimension { get; }

    public int Stride { get; }

    public T[] Data { get; }

    /// <summary>Row i of this pack is row Indices[i] of the source.</summary>
    public int[] Indices { get; }

    /// <summary>For a pack made by <see cref="Centred"/>: the mean row that was subtracted (padding 0); otherwise null.</summary>
    public float[]? Centre { get; }

    /// <summary>‖row‖² of each row, summed in double and rounded to float (built on first use, then shared).</summary>
    public float[] SquaredNorms()
    {
        if (Volatile.Read(ref _squaredNorms) is { } cached)
        {
            return cached;
        }

        var norms = new float[Count];
        T[] data = Data;
        int stride = Stride;
        ForRowRanges(Count, Stride, (first, end) =>
        {
            var row = new double[stride];
            for (int i = first; i < end; i++)
            {
                Span<T> source = data.AsSpan(i * stride, stride);
                if (typeof(T) == typeof(float))
                {
                    norms[i] = SquaredNorm(MemoryMarshal.Cast<T, float>(source), row);
                }
                else
                {
                    MemoryMarshal.Cast<T, double>(source).CopyTo(row);
                    norms[i] = (float)TensorPrimitives.SumOfSquares<double>(row);
                }
            }
        });

        Interlocked.CompareExchange(ref _squaredNorms, norms, null);
        return _squaredNorms!;
    }

    /// <summary>
    /// ‖row‖² summed in double and rounded to float (<paramref name="scratch"/>: at least the row's length). Vectorised: the
    /// summation order differs from a plain loop by the last bits at most, and the norms only choose GEMM-form candidates
    /// (their error is inside the bound); distances come from the difference form.
    /// </summary>
    internal static float SquaredNorm(ReadOnlySpan<float> row, Span<double> scratch)
    {
        Span<double> wide = scratch[..row.Length];
        TensorPrimitives.ConvertChecked<float, double>(row, wide);
        return (float)TensorPrimitives.SumOfSquares<double>(wide);
    }

    /// <summary>These rows packed for <see cref="GemmKernel"/> in panels of <paramref name="width"/> (float32 only; built on first use, then shared).</summary>
    internal ReferencePanels Panels(int width)
    {
        if (Volatile.Read(ref _panels) is { } cached && cached.Width == width)
        {
            return cached;
        }

        var panels = new ReferencePanels((PackedRows<float>)(object)this, width);
        Volatile.Write(ref _panels, panels);
        return panels;
    }

    /// <summary>
    /// These rows minus their mean row μ (float32: μ summed in double and rounded, each element x − μ rounded once), built on
    /// first use and shared. Distances between rows are unchanged, but the norms shrink, and with them the GEMM form's error
    /// bound (<see cref="GemmKernel.ErrorBound"/>): on states bunched around a common point (sigmoid states near 0.5) the
    /// bound on uncentred rows is wider than the spread of the distances, and nearly every reference would be refined.
    /// Queries searched against this pack are centred on the same <see cref="Centre"/> (<see cref="CentreRows"/>). The copy
    /// (and its panels) lives as long as this pack: one more float32 copy of the rows for a cached reference set.
    /// </summary>
    internal PackedRows<float> Centred()
    {
        if (Volatile.Read(ref _centred) is { } cached)
        {
            return cached;
        }

        if (typeof(T) != typeof(float))
        {
            throw new InvalidOperationException("Only float32 packs are centred (for the GEMM form).");
        }

        // μ in double: a partial sum per fixed range of rows (the ranges depend on the row count and dimension only, not on
        // the padding or the thread count), added in range order, so the centre is the same on every machine.
        float[] source = (float[])(object)Data;
        int stride = Stride;
        int chunk = RowsPerRange(Dimension);
        var partials = new double[(Count + chunk - 1) / chunk][];
        ForRowRanges(Count, Dimension, (first, end) =>
        {
            var partial = new double[stride];
            var row = new double[stride];
            for (int i = first; i < end; i++)
            {
                TensorPrimitives.ConvertChecked<float, double>(source.AsSpan(i * stride, stride), row);
                TensorPrimitives.Add(partial, row, partial);
            }

            partials[first / chunk] = partial;
        });

        var sum = new double[Stride];
        foreach (double[] partial in partials)
        {
            TensorPrimitives.Add(sum, partial, sum);
        }

        var centre = new float[Stride];
        for (int j = 0; j < Dimension && Count > 0; j++)
        {
            centre[j] = (float)(sum[j] / Count);
        }

        var data = GC.AllocateUninitializedArray<float>(source.Length);
        ForRowRanges(Count, Stride, (first, end) => CentreRows(source, first, end - first, stride, centre, data.AsSpan(first * stride)));
        var centred = new PackedRows<float>(Count, Dimension, Stride, data, Indices, centre);
        Interlocked.CompareExchange(ref _centred, centred, null);
        return _centred!;
    }

    /// <summary>destination[r] = source[first + r] − centre for <paramref name="count"/> rows of <paramref name="stride"/> (one rounding per element).</summary>
    internal static void CentreRows(float[] source, int first, int count, int stride, float[] centre, Span<float> destination)
    {
        for (int r = 0; r < count; r++)
        {
            TensorPrimitives.Subtract(source.AsSpan((first + r) * stride, stride), centre, destination.Slice(r * stride, stride));
        }
    }

    /// <summary>
    /// <paramref name="body"/>(first, end) over consecutive ranges of <see cref="RowsPerRange"/> rows, on the thread pool when
    /// the rows hold at least <see cref="ParallelValues"/> values (packing, centring and norms of a 10⁴ × 512 reference set
    /// were ~0.1 s on one core of an otherwise idle machine before its searches began). The ranges depend on the shape only.
    /// These set-up loops do not take <see cref="NeighbourSearchOptions.MaxDegreeOfParallelism"/> (a pack is built once and
    /// shared by searches with any options); their results are the same on any number of threads.
    /// </summary>
    internal static void ForRowRanges(int count, int stride, Action<int, int> body)
    {
        int chunk = RowsPerRange(stride);
        int ranges = (count + chunk - 1) / chunk;
        if ((long)count * stride < ParallelValues)
        {
            for (int r = 0; r < ranges; r++)
            {
                body(r * chunk, Math.Min(count, (r + 1) * chunk));
            }

            return;
        }

        Parallel.For(0, ranges, r => body(r * chunk, Math.Min(count, (r + 1) * chunk)));
    }

    private const int ParallelValues = 1 << 18;

    /// <summary>Rows per range: about 64 K values (256 KB of float32), at least one row.</summary>
    internal static int RowsPerRange(int stride) => Math.Max(1, (1 << 16) / Math.Max(1, stride));

    /// <summary>Rows <paramref name="positions"/> of this pack, in that order, as a new pack (same source indices, so ties break the same).</summary>
    public PackedRows<T> Gather(ReadOnlySpan<int> positions) => new(this, positions);

    public static int StrideFor(int dimension)
    {
        int lanes = Vector<T>.Count;
        return Math.Max(lanes, (dimension + lanes - 1) / lanes * lanes);
    }

    public static PackedRows<T> All(StateMatrix source)
    {
        var rows = new int[source.Rows];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = i;
        }

        return new PackedRows<T>(source, rows);
    }
}
