using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SisomCluster.Inference.Files;

namespace SisomCluster.Inference.Npy;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0; see numpy.lib.format):
/// little-endian float32 and float64, C order. Every problem with a file is an
/// <see cref="InvalidDataException"/> whose message starts with the file's name, so the command can
/// print it as it is.
/// </summary>
public static class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // NumPy pads the header so the data starts on a 64-byte boundary (aligned loads, mmap).
    private const int Alignment = 64;

    // Copy in bounded chunks: a feature file can exceed the 2 GiB a single span of bytes can address.
    private const int ChunkElements = 1 << 20;

    public static NpyArray Read(string path, string? displayName = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, displayName ?? path);
    }

    /// <summary>Reads one array from <paramref name="stream"/>; <paramref name="displayName"/> names it in error messages.</summary>
    public static NpyArray Read(Stream stream, string displayName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        EnsureLittleEndianHost();
        NpyHeader header = NpyHeader.Read(stream, displayName);
        if (header.Count > Array.MaxLength)
        {
            throw Invalid(displayName, $"holds {DescribeShape(header.Shape)}, more values than one array can hold");
        }

        return ReadData(stream, displayName, header);
    }

    /// <summary>Writes <paramref name="array"/> atomically: the file appears complete or not at all.</summary>
    public static void Write(string path, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(array);
        using AtomicFile file = AtomicFile.Create(path);
        Write(file.Stream, array);
        file.Commit();
    }

    /// <summary>Writes <paramref name="array"/> in its own dtype, C order, format 1.0 (2.0 only when the header needs it, as NumPy does).</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        WriteHeader(stream, array.DataType, array.Shape.ToArray());
        if (array.SingleValues is { } single)
        {
            WriteChunked<float>(stream, single);
        }
        else
        {
            WriteChunked<double>(stream, array.DoubleValues!);
        }
    }

    /// <summary>Writes the magic, version and header of a C-order little-endian array; the data follows.</summary>
    public static void WriteHeader(Stream stream, NpyDataType dataType, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        EnsureLittleEndianHost();
        string descr = dataType == NpyDataType.Float32 ? "<f4" : "<f8";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {DescribeShape(shape)}, }}";
        byte major = 1;
        string header = PaddedHeader(dict, prefixLength: 10);
        if (header.Length > ushort.MaxValue)
        {
            major = 2;
            header = PaddedHeader(dict, prefixLength: 12);
        }

        stream.Write(Magic);
        stream.WriteByte(major);
        stream.WriteByte(0);
        Span<byte> length = stackalloc byte[4];
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
            stream.Write(length[..2]);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
            stream.Write(length);
        }

        stream.Write(Encoding.Latin1.GetBytes(header));
    }

    /// <summary>The dict padded with spaces and ended by a newline so that the data starts on a 64-byte boundary.</summary>
    private static string PaddedHeader(string dict, int prefixLength)
    {
        int total = (prefixLength + dict.Length + 1 + Alignment - 1) / Alignment * Alignment;
        return dict.PadRight(total - prefixLength - 1) + "\n";
    }

    private static NpyArray ReadData(Stream stream, string displayName, NpyHeader header)
    {
        // A seekable stream was checked against its length by NpyHeader.Read. A pipe is read in bounded chunks
        // first, so that memory grows with the bytes that really arrive, never with what the header claims.
        Stream source = stream.CanSeek ? stream : Buffer(stream, displayName, header);
        if (header.DataType == NpyDataType.Float32)
        {
            // Uninitialised: every value is read into it, or the read fails and the array is dropped. (Beyond the largest
            // array, `new` fails as it always did.)
            float[] values = header.Count <= Array.MaxLength ? GC.AllocateUninitializedArray<float>((int)header.Count) : new float[header.Count];
            ReadChunked<float>(source, values, displayName, header);
            return new NpyArray(values, header.Shape);
        }
        else
        {
            double[] values = header.Count <= Array.MaxLength ? GC.AllocateUninitializedArray<double>((int)header.Count) : new double[header.Count];
            ReadChunked<double>(source, values, displayName, header);
            return new NpyArray(values, header.Shape);
        }
    }

    private static MemoryStream Buffer(Stream stream, string displayName, NpyHeader header)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        long remaining = header.DataBytes;
        while (remaining > 0)
        {
            int got = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, remaining));
            if (got == 0)
            {
                throw NpyHeader.Truncated(displayName, header, buffer.Length);
            }

            buffer.Write(chunk, 0, got);
            remaining -= got;
        }

        buffer.Position = 0;
        return buffer;
    }

    private static void ReadChunked<T>(Stream stream, T[] values, string displayName, NpyHeader header)
        where T : unmanaged
    {
        long read = 0;
        for (int start = 0; start < values.Length; start += ChunkElements)
        {
            Span<byte> chunk = MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(ChunkElements, values.Length - start)));
            int got = stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
            read += got;
            if (got < chunk.Length)
            {
                throw NpyHeader.Truncated(displayName, header, read);
            }
        }
    }

    private static void WriteChunked<T>(Stream stream, T[] values)
        where T : unmanaged
    {
        for (int start = 0; start < values.Length; start += ChunkElements)
        {
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(ChunkElements, values.Length - start))));
        }
    }

    /// <summary>The shape as NumPy prints it: (3, 4), (5,), ().</summary>
    public static string DescribeShape(ReadOnlySpan<int> shape) =>
        shape.Length == 1
            ? $"({shape[0].ToString(CultureInfo.InvariantCulture)},)"
            : $"({string.Join(", ", shape.ToArray().Select(s => s.ToString(CultureInfo.InvariantCulture)))})";

    private static InvalidDataException Invalid(string displayName, string problem) => new($"{displayName}: {problem}.");

    internal static void EnsureLittleEndianHost()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException(".npy I/O assumes a little-endian host.");
        }
    }
}
