using System.Runtime.InteropServices;
using SisomCluster.Core;

namespace SisomCluster.Inference.Npy;

/// <summary>
/// Reads a 2-D float32/float64 <c>.npy</c> file a block of rows at a time, as float32 (float64 narrowed), so that a
/// consumer's memory grows with its block and not with the file: <c>offline score</c> streams 10⁶ × 512 queries
/// (2 GB) through blocks of a few tens of MB instead of holding the file and every array derived from it.
/// The header goes through the one checked reader (<see cref="NpyHeader"/>); a file shorter than its header says is
/// reported when the missing rows are reached, with the same message <see cref="NpyFile.Read(string, string?)"/> gives.
/// </summary>
public sealed class NpyRowReader : IDisposable
{
    // Values read at a time: float32 straight into the caller's block, float64 into a buffer of this many and narrowed.
    private const int ChunkValues = 1 << 20;

    private readonly Stream _stream;
    private readonly NpyHeader _header;
    private readonly string _displayName;
    private byte[]? _wide;
    private long _bytesRead;

    private NpyRowReader(Stream stream, NpyHeader header, string displayName)
    {
        _stream = stream;
        _header = header;
        _displayName = displayName;
    }

    /// <summary>The array's shape as the header gives it (a consumer checks its rank and width before it reads).</summary>
    public IReadOnlyList<int> Shape => _header.Shape;

    public NpyDataType DataType => _header.DataType;

    /// <summary>Rows in the file (shape[0] of a 2-D array).</summary>
    public int Rows => _header.Shape[0];

    /// <summary>Values per row (shape[1] of a 2-D array).</summary>
    public int Columns => _header.Shape[1];

    /// <summary>Rows read so far: the file row of the next one.</summary>
    public int Position { get; private set; }

    /// <summary>Opens <paramref name="path"/> and reads its header (a pipe works too: it is read once, in order).</summary>
    public static NpyRowReader Open(string path, string? displayName = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Open(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan), displayName ?? path);
    }

    /// <summary>Reads the header of the array at <paramref name="stream"/>'s position; the reader owns the stream from here on.</summary>
    public static NpyRowReader Open(Stream stream, string displayName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        try
        {
            NpyFile.EnsureLittleEndianHost();
            return new NpyRowReader(stream, NpyHeader.Read(stream, displayName), displayName);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the next rows into <paramref name="destination"/>: as many whole rows as it holds, fewer at the end of the
    /// file; returns how many (0 when every row has been read). The values are checked before narrowing: the first NaN
    /// or infinity of the block is returned in <paramref name="nonFinite"/> with its row in the file, its column and its
    /// value as stored (the block is read all the same).
    /// </summary>
    /// <exception cref="InvalidOperationException">The array is not 2-D.</exception>
    /// <exception cref="InvalidDataException">The file ends before the rows its header declares.</exception>
    public int Read(Span<float> destination, out NpyNonFinite? nonFinite)
    {
        if (_header.Shape.Length != 2 || Columns < 1)
        {
            throw new InvalidOperationException($"{_displayName} is not a 2-D array; it cannot be read by rows.");
        }

        nonFinite = null;
        if (Position == Rows)
        {
            return 0;
        }

        if (destination.Length < Columns)
        {
            throw new ArgumentException($"A buffer of {destination.Length} values cannot hold a row of {Columns}.", nameof(destination));
        }

        int rows = Math.Min(destination.Length / Columns, Rows - Position);
        Span<float> block = destination[..(rows * Columns)];
        if (_header.DataType == NpyDataType.Float32)
        {
            // In chunks: a block of more than 2³¹ bytes has no byte span.
            for (int start = 0; start < block.Length; start += ChunkValues)
            {
                Fill(MemoryMarshal.AsBytes(block.Slice(start, Math.Min(ChunkValues, block.Length - start))));
            }

            if (FiniteValues.IndexOfNonFinite(block) is int bad and >= 0)
            {
                nonFinite = new NpyNonFinite(Position + (bad / Columns), bad % Columns, block[bad]);
            }
        }
        else
        {
            _wide ??= new byte[ChunkValues * sizeof(double)];
            for (int start = 0; start < block.Length; start += ChunkValues)
            {
                int count = Math.Min(ChunkValues, block.Length - start);
                Span<byte> bytes = _wide.AsSpan(0, count * sizeof(double));
                Fill(bytes);
                ReadOnlySpan<double> values = MemoryMarshal.Cast<byte, double>(bytes);
                if (nonFinite is null && FiniteValues.IndexOfNonFinite(values) is int bad and >= 0)
                {
                    int flat = start + bad;
                    nonFinite = new NpyNonFinite(Position + (flat / Columns), flat % Columns, values[bad]);
                }

                for (int i = 0; i < values.Length; i++)
                {
                    block[start + i] = (float)values[i];
                }
            }
        }

        Position += rows;
        return rows;
    }

    private void Fill(Span<byte> bytes)
    {
        int got = _stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        _bytesRead += got;
        if (got < bytes.Length)
        {
            throw NpyHeader.Truncated(_displayName, _header, _bytesRead);
        }
    }

    public void Dispose() => _stream.Dispose();
}

/// <summary>The first NaN or infinity of a block read by <see cref="NpyRowReader"/>: its row in the file, its column, its stored value.</summary>
public readonly record struct NpyNonFinite(long Row, int Column, double Value);
