using System.Buffers.Binary;
using System.Text;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// The header of an N×D float32/float64 .npy file and where its data starts, read without touching the
/// data: an embeddings pool can hold 10⁶×512 floats, and a worker needs only its shard's rows.
/// </summary>
internal sealed record NpyMatrixHeader(NpyDataType DataType, long Rows, int Columns, long DataOffset)
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public int ItemSize => DataType == NpyDataType.Float32 ? sizeof(float) : sizeof(double);

    public long RowBytes => (long)Columns * ItemSize;

    public static NpyMatrixHeader Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
        Span<byte> prefix = stackalloc byte[12];
        int got = stream.ReadAtLeast(prefix, 12, throwOnEndOfStream: false);
        if (got < 10 || !prefix[..6].SequenceEqual(Magic))
        {
            throw Invalid(path, "is not a .npy file (bad magic bytes or too short)");
        }

        byte major = prefix[6];
        if (major is < 1 or > 3)
        {
            throw Invalid(path, $"has .npy format version {major}; versions 1 to 3 are supported");
        }

        // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4 (numpy.lib.format).
        int lengthSize = major == 1 ? 2 : 4;
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (headerLength > 1 << 24)
        {
            throw Invalid(path, $"announces a {headerLength}-byte header; the file is corrupt");
        }

        long dataOffset = 8 + lengthSize + headerLength;
        var headerBytes = new byte[headerLength];
        stream.Position = 8 + lengthSize;
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
        {
            throw Invalid(path, "is truncated inside the header");
        }

        Dictionary<string, object?> header;
        try
        {
            header = NpyHeaderParser.ParseDictionary(major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes));
        }
        catch (FormatException e)
        {
            throw Invalid(path, $"has an unreadable header ({e.Message})");
        }

        NpyDataType dataType = (header.GetValueOrDefault("descr") as string) switch
        {
            "<f4" or "=f4" or "f4" => NpyDataType.Float32,
            "<f8" or "=f8" or "f8" => NpyDataType.Float64,
            var other => throw Invalid(path, $"has dtype '{other}'; embeddings must be little-endian float32 ('<f4') or float64 ('<f8')"),
        };
        if (header.GetValueOrDefault("fortran_order") is not false)
        {
            throw Invalid(path, "is not in C order; save it with np.save(path, np.ascontiguousarray(a))");
        }

        if (header.GetValueOrDefault("shape") is not object?[] { Length: 2 } shape || shape[0] is not long rows || shape[1] is not long columns
            || rows < 0 || columns is < 1 or > int.MaxValue)
        {
            throw Invalid(path, "must hold a 2-D array (N rows × D columns, D ≥ 1)");
        }

        var result = new NpyMatrixHeader(dataType, rows, (int)columns, dataOffset);
        long needed = dataOffset + rows * result.RowBytes;
        if (stream.Length < needed)
        {
            throw Invalid(path, $"is truncated: {rows}×{columns} values need {needed} bytes, the file has {stream.Length}");
        }

        return result;
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"{path}: {problem}.");
}
