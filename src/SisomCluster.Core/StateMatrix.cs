using System.Runtime.InteropServices;

namespace SisomCluster.Core;

/// <summary>How precisely states are compared (SISOM.md §3.1: float32 is enough; float64 where a test demands it).</summary>
public enum ScoringPrecision
{
    /// <summary>float32 states and distances: the production setting, twice the SIMD width.</summary>
    Float32,

    /// <summary>float64 states and distances: exact to the golden vectors' last digits, half the speed.</summary>
    Float64,
}

/// <summary>
/// State vectors z (SISOM.md §3.3), one row per item. Always available as float32
/// (<see cref="Values"/>, what is stored and exported); also kept in float64 when the
/// precision is <see cref="ScoringPrecision.Float64"/>, and then distances use those.
/// </summary>
public sealed class StateMatrix
{
    public StateMatrix(FeatureMatrix values, double[]? preciseValues = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (preciseValues is not null && preciseValues.Length != values.Data.Length)
        {
            throw new ArgumentException($"Float64 states have {preciseValues.Length} values, expected {values.Data.Length}.", nameof(preciseValues));
        }

        Values = values;
        PreciseValues = preciseValues;
    }

    public FeatureMatrix Values { get; }

    /// <summary>The float64 states, row-major; null at single precision.</summary>
    public double[]? PreciseValues { get; }

    public ScoringPrecision Precision => PreciseValues is null ? ScoringPrecision.Float32 : ScoringPrecision.Float64;

    public int Rows => Values.Rows;

    public int Columns => Values.Columns;

    public static implicit operator StateMatrix(FeatureMatrix values) => new(values);

    public static StateMatrix FromFeatureMatrix(FeatureMatrix values) => new(values);

    internal void CopyRow<T>(int row, Span<T> destination)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double) && PreciseValues is not null)
        {
            PreciseValues.AsSpan(row * Columns, Columns).CopyTo(MemoryMarshal.Cast<T, double>(destination));
        }
        else if (typeof(T) == typeof(float))
        {
            Values.Row(row).CopyTo(MemoryMarshal.Cast<T, float>(destination));
        }
        else
        {
            ReadOnlySpan<float> source = Values.Row(row);
            for (int j = 0; j < source.Length; j++)
            {
                destination[j] = T.CreateTruncating(source[j]);
            }
        }
    }
}
