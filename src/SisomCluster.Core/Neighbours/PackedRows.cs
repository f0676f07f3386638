using System.Numerics;

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

    public int Count { get; }

    public int Dimension { get; }

    public int Stride { get; }

    public T[] Data { get; }

    /// <summary>Row i of this pack is row Indices[i] of the source.</summary>
    public int[] Indices { get; }

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
