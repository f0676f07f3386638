using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace SisomCluster.Data.Results;

/// <summary>
/// Rows in PostgreSQL's binary COPY format (the <c>COPY … FROM STDIN (FORMAT BINARY)</c> wire format: a signature,
/// then per row a field count and each field as a length and its big-endian value, then a trailer), encoded straight
/// into one buffer and written to a raw COPY stream (<c>NpgsqlConnection.BeginRawBinaryCopyAsync</c>) a buffer at a
/// time. The hot path of a shard's commit: Npgsql's typed importer resolves and binds a parameter for every value (25
/// per score row, 15 % of a re-scoring worker's CPU); this writes each value with a few stores (ARCHITECTURE.md §3
/// step 3).
/// The encodings are PostgreSQL's send functions (and pgvector's <c>vector_send</c>); a test reads every kind back.
/// </summary>
internal sealed class BinaryCopyWriter : IDisposable
{
    /// <summary>How full the buffer may get before the caller should flush it (at a row's end).</summary>
    private const int FlushAt = 1 << 16;

    // "PGCOPY\n\377\r\n\0"
    private static ReadOnlySpan<byte> Signature => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0A, 0xFF, 0x0D, 0x0A, 0x00];

    // PostgreSQL's timestamps count microseconds from 2000-01-01 00:00:00 UTC.
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private readonly Stream _stream;
    private byte[] _buffer;
    private int _position;

    /// <summary>Starts the COPY data with the format's header (signature, flags, no extension).</summary>
    public BinaryCopyWriter(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(FlushAt * 2);
        Signature.CopyTo(Take(Signature.Length));
        BinaryPrimitives.WriteInt32BigEndian(Take(4), 0);
        BinaryPrimitives.WriteInt32BigEndian(Take(4), 0);
    }

    /// <summary>True when the buffer should be flushed before the next row.</summary>
    public bool ShouldFlush => _position >= FlushAt;

    public void StartRow(int fields) => BinaryPrimitives.WriteInt16BigEndian(Take(2), checked((short)fields));

    public void WriteNull() => BinaryPrimitives.WriteInt32BigEndian(Take(4), -1);

    public void WriteUuid(Guid value)
    {
        Span<byte> field = Field(16);
        value.TryWriteBytes(field, bigEndian: true, out _);
    }

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Field(4), value);

    public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleBigEndian(Field(8), value);

    public void WriteBoolean(bool value) => Field(1)[0] = value ? (byte)1 : (byte)0;

    /// <summary>
    /// A <c>text</c> value in UTF-8 (the connection's <c>client_encoding</c>, which Npgsql sets to UTF8); a string that is
    /// not valid UTF-16 (a lone surrogate) throws, as Npgsql's own strict encoding does.
    /// </summary>
    public void WriteText(string value)
    {
        ArgumentNullException.ThrowIfNull(value);

        // One pass: room for the longest encoding (3 bytes per UTF-16 unit), then the length written before the bytes.
        Span<byte> room = Take(4 + (3 * value.Length));
        OperationStatus status = Utf8.FromUtf16(value, room[4..], out _, out int written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            throw new EncoderFallbackException($"Text value '{(value.Length > 100 ? value[..100] + "…" : value)}' is not valid UTF-16 (a lone surrogate): it has no UTF-8 form to store.");
        }

        BinaryPrimitives.WriteInt32BigEndian(room, written);
        _position -= room.Length - 4 - written;
    }

    /// <summary>
    /// A <c>timestamptz</c>: microseconds since 2000-01-01 UTC, truncated as Npgsql truncates, and the instants .NET cannot
    /// go past as PostgreSQL's ±infinity (Npgsql's default mapping; the project never sets
    /// <c>Npgsql.DisableDateTimeInfinityConversions</c>).
    /// </summary>
    public void WriteTimestampTz(DateTimeOffset value)
    {
        long micros = value.UtcTicks == DateTime.MaxValue.Ticks ? long.MaxValue
            : value.UtcTicks == DateTime.MinValue.Ticks ? long.MinValue
            : (value.UtcTicks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond;
        BinaryPrimitives.WriteInt64BigEndian(Field(8), micros);
    }

    /// <summary>A pgvector <c>vector</c>: its dimension (int16), an unused int16, then the floats.</summary>
    public void WriteVector(ReadOnlySpan<float> value)
    {
        Span<byte> field = Field(4 + (4 * value.Length));
        BinaryPrimitives.WriteInt16BigEndian(field, checked((short)value.Length));
        BinaryPrimitives.WriteInt16BigEndian(field[2..], 0);
        Span<int> floats = MemoryMarshal.Cast<byte, int>(field[4..]);
        ReadOnlySpan<int> bits = MemoryMarshal.Cast<float, int>(value);
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(bits, floats);
        }
        else
        {
            bits.CopyTo(floats);
        }
    }

    /// <summary>Ends the COPY data (the trailer); flush afterwards.</summary>
    public void WriteTrailer() => BinaryPrimitives.WriteInt16BigEndian(Take(2), -1);

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_position > 0)
        {
            await _stream.WriteAsync(_buffer.AsMemory(0, _position), cancellationToken).ConfigureAwait(false);
            _position = 0;
        }
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _position = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A field's length prefix, then its <paramref name="length"/> bytes to fill.</summary>
    private Span<byte> Field(int length)
    {
        Span<byte> span = Take(4 + length);
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        return span[4..];
    }

    private Span<byte> Take(int length)
    {
        if (_position + length > _buffer.Length)
        {
            Grow(_position + length);
        }

        Span<byte> span = _buffer.AsSpan(_position, length);
        _position += length;
        return span;
    }

    // A row longer than the buffer's spare room (a long text or vector): a larger buffer, the written bytes kept.
    private void Grow(int needed)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _position).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
