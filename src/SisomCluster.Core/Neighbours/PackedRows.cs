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
        Data = new T[checked(Count * Stride)];
        Indices = rows.ToArray();
        for (int i = 0; i < rows.Length; i++)
        {
            source.CopyRow(rows[i], Data.AsSpan(i * Stride, Dimension));
        }
    }

    private PackedRows(PackedRows<T> source, ReadOnlySpan<int> positions)
    {
        Count = positions.Length;
        Dimension = source.Dimension;
        Stride = source.Stride;
        Data = new T[checked(Count * Stride)];
        Indices = new int[Count];
        for (int i = 0; i < positions.Length; i++)
        {
            source.Data.AsSpan(positions[i] * Stride, Stride).CopyTo(Data.AsSpan(i * Stride, Stride));
            Indices[i] = source.Indices[positions[i]];
        }
    }

    private float[]? _squaredNorms;
    private ReferencePanels? _panels;

    public int Count { get; }

    public int Dimension { get; }

    public int Stride { get; }

    public T[] Data { get; }

    /// <summary>Row i of this pack is row Indices[i] of the source.</summary>
    public int[] Indices { get; }

    /// <summary>‖row‖² of each row, summed in double and rounded to float (built on first use, then shared).</summary>
    public float[] SquaredNorms()
    {
        if (Volatile.Read(ref _squaredNorms) is { } cached)
        {
            return cached;
        }

        var norms = new float[Count];
        var row = new double[Stride];
        for (int i = 0; i < Count; i++)
        {
            // Vectorised: the summation order differs from a plain loop by the last bits at most, and the norms only choose
            // GEMM-form candidates (their error is inside the bound); distances come from the difference form.
            Span<T> source = Data.AsSpan(i * Stride, Stride);
            if (typeof(T) == typeof(float))
            {
                TensorPrimitives.ConvertChecked<float, double>(MemoryMarshal.Cast<T, float>(source), row);
            }
            else
            {
                MemoryMarshal.Cast<T, double>(source).CopyTo(row);
            }

            norms[i] = (float)TensorPrimitives.SumOfSquares<double>(row);
        }

        Interlocked.CompareExchange(ref _squaredNorms, norms, null);
        return _squaredNorms!;
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
