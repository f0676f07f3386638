using SisomCluster.Core;

namespace SisomCluster.Inference.Npy;

/// <summary>
/// An n-dimensional C-order array as stored in a <c>.npy</c> file. The values stay in the file's own
/// dtype: float64 inputs (head weights above all) must not be rounded through float32 on the way in.
/// </summary>
public sealed class NpyArray
{
    private readonly float[]? _single;
    private readonly double[]? _double;

    public NpyArray(float[] values, params int[] shape)
        : this(NpyDataType.Float32, shape, values?.Length ?? 0)
    {
        ArgumentNullException.ThrowIfNull(values);
        _single = values;
    }

    public NpyArray(double[] values, params int[] shape)
        : this(NpyDataType.Float64, shape, values?.Length ?? 0)
    {
        ArgumentNullException.ThrowIfNull(values);
        _double = values;
    }

    private NpyArray(NpyDataType dataType, int[] shape, int length)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int extent in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(extent, nameof(shape));
            count *= extent;
        }

        if (count != length)
        {
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) holds {count} values, the data has {length}.", nameof(shape));
        }

        DataType = dataType;
        Shape = (int[])shape.Clone();
    }

    public NpyDataType DataType { get; }

    /// <summary>Extent of each dimension, outermost first (C order).</summary>
    public IReadOnlyList<int> Shape { get; }

    public int Rank => Shape.Count;

    public int Length => _single?.Length ?? _double!.Length;

    /// <summary>The values as float32 (the array itself when it is float32, else a narrowed copy).</summary>
    public float[] ToSingle() => _single ?? Array.ConvertAll(_double!, v => (float)v);

    /// <summary>The values as float64 (the array itself when it is float64, else a widened copy).</summary>
    public double[] ToDouble() => _double ?? Array.ConvertAll(_single!, v => (double)v);

    /// <summary>Index of the first NaN or infinite value, or −1.</summary>
    public int IndexOfNonFinite()
    {
        return _single is not null ? FiniteValues.IndexOfNonFinite(_single) : FiniteValues.IndexOfNonFinite(_double!);
    }

    /// <summary>The value at flat index <paramref name="index"/>, widened to double (for messages).</summary>
    public double ValueAt(int index) => _single is not null ? _single[index] : _double![index];

    internal float[]? SingleValues => _single;

    internal double[]? DoubleValues => _double;
}
