using SisomCluster.Inference.Npy;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// The header of an N×D float32/float64 .npy file and where its data starts, read without touching the
/// data: an embeddings pool can hold 10⁶×512 floats, and a worker needs only its shard's rows.
/// </summary>
internal sealed record NpyMatrixHeader(NpyDataType DataType, long Rows, int Columns, long DataOffset)
{
    public int ItemSize => DataType == NpyDataType.Float32 ? sizeof(float) : sizeof(double);

    public long RowBytes => (long)Columns * ItemSize;

    /// <summary>Reads the header through the one checked .npy header reader; the file must hold all N×D values.</summary>
    public static NpyMatrixHeader Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
        NpyHeader header = NpyHeader.Read(stream, path);
        if (header.Shape is not [int rows, int columns] || columns < 1)
        {
            throw Invalid(path, $"has shape {NpyFile.DescribeShape(header.Shape)}; it must hold a 2-D array (N rows × D columns, D ≥ 1)");
        }

        return new NpyMatrixHeader(header.DataType, rows, columns, header.DataOffset);
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"{path}: {problem}.");
}
