namespace SisomCluster.Core;

/// <summary>A dense row-major float32 matrix: one item per row (features h, states z or logits l).</summary>
public sealed class FeatureMatrix
{
    public FeatureMatrix(float[] data, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if ((long)rows * columns != data.Length)
        {
            throw new ArgumentException($"Matrix data has {data.Length} values, expected {rows} x {columns}.", nameof(data));
        }

        Data = data;
        Rows = rows;
        Columns = columns;
    }

    public float[] Data { get; }

    public int Rows { get; }

    public int Columns { get; }

    public ReadOnlySpan<float> Row(int index) => Data.AsSpan(index * Columns, Columns);

    public Span<float> RowSpan(int index) => Data.AsSpan(index * Columns, Columns);

    public static FeatureMatrix Zeros(int rows, int columns) => new(new float[checked(rows * columns)], rows, columns);

    /// <summary>Builds a matrix from jagged rows (all rows must have the same length).</summary>
    public static FeatureMatrix FromRows(IReadOnlyList<IReadOnlyList<double>> rows, string paramName)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int columns = rows.Count == 0 ? 0 : rows[0].Count;
        var data = new float[rows.Count * columns];
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Count != columns)
            {
                throw new ArgumentException($"Row {i} has {rows[i].Count} values, expected {columns}.", paramName);
            }

            for (int j = 0; j < columns; j++)
            {
                data[(i * columns) + j] = (float)rows[i][j];
            }
        }

        return new FeatureMatrix(data, rows.Count, columns);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="paramName"/> when any value is NaN or infinite.</summary>
    public void EnsureFinite(string paramName)
    {
        int bad = FiniteValues.IndexOfNonFinite(Data);
        if (bad >= 0)
        {
            int row = Columns == 0 ? 0 : bad / Columns;
            int column = Columns == 0 ? 0 : bad % Columns;
            throw new ArgumentException($"{paramName} contains {Data[bad]} at row {row}, column {column}; features must be finite.", paramName);
        }
    }
}
