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
        Span<byte> prefix = stackalloc byte[8];
        if (stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false) < prefix.Length)
        {
            throw Invalid(displayName, "is truncated: too short for a .npy header");
        }

        if (!prefix[..6].SequenceEqual(Magic))
        {
            throw Invalid(displayName, "is not a .npy file (bad magic bytes; expected \\x93NUMPY)");
        }

        byte major = prefix[6];
        byte minor = prefix[7];
        if (major is < 1 or > 3)
        {
            throw Invalid(displayName, $"has .npy format version {major}.{minor}; versions 1.0, 2.0 and 3.0 are supported");
        }

        // Version 1.0 stores the header length in 2 bytes; 2.0 and 3.0 in 4 (for very wide structured headers).
        Span<byte> lengthBytes = stackalloc byte[major == 1 ? 2 : 4];
        if (stream.ReadAtLeast(lengthBytes, lengthBytes.Length, throwOnEndOfStream: false) < lengthBytes.Length)
        {
            throw Invalid(displayName, "is truncated inside the header");
        }

        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (headerLength > 1 << 24)
        {
            throw Invalid(displayName, $"announces a {headerLength}-byte header; the file is corrupt");
        }

        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
        {
            throw Invalid(displayName, "is truncated inside the header");
        }

        // 1.0 and 2.0 headers are latin-1; 3.0 allows UTF-8 (for unicode field names).
        string headerText = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        (NpyDataType dataType, int[] shape, long count) = ParseHeader(headerText, displayName);
        return ReadData(stream, displayName, dataType, shape, count);
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

    private static (NpyDataType DataType, int[] Shape, long Count) ParseHeader(string headerText, string displayName)
    {
        Dictionary<string, object?> header;
        try
        {
            header = NpyHeaderParser.ParseDictionary(headerText);
        }
        catch (FormatException e)
        {
            throw Invalid(displayName, $"has an unreadable header ({e.Message})");
        }

        foreach (string key in new[] { "descr", "fortran_order", "shape" })
        {
            if (!header.ContainsKey(key))
            {
                throw Invalid(displayName, $"has no '{key}' in its header");
            }
        }

        if (header.Count != 3)
        {
            string extra = string.Join(", ", header.Keys.Where(k => k is not ("descr" or "fortran_order" or "shape")).Select(k => $"'{k}'"));
            throw Invalid(displayName, $"has unexpected header keys {extra}");
        }

        NpyDataType dataType = ParseDescr(header["descr"], displayName);
        if (header["fortran_order"] is not bool fortranOrder)
        {
            throw Invalid(displayName, "has a non-boolean 'fortran_order' in its header");
        }

        if (fortranOrder)
        {
            throw Invalid(displayName, "is stored in Fortran order (fortran_order: True); save a C-ordered array, e.g. np.save(path, np.ascontiguousarray(a))");
        }

        if (header["shape"] is not object?[] extents)
        {
            throw Invalid(displayName, "has a 'shape' that is not a tuple");
        }

        var shape = new int[extents.Length];
        long count = 1;
        for (int i = 0; i < extents.Length; i++)
        {
            if (extents[i] is not long extent || extent < 0 || extent > int.MaxValue)
            {
                throw Invalid(displayName, $"has an invalid extent {extents[i] ?? "None"} in its shape");
            }

            shape[i] = (int)extent;
            // No overflow: count ≤ Array.MaxLength < 2^31 before this step and extent ≤ int.MaxValue.
            count *= extent;
            if (count > Array.MaxLength)
            {
                throw Invalid(displayName, $"holds {DescribeShape(shape.AsSpan(0, i + 1))} and more values than one array can hold");
            }
        }

        return (dataType, shape, count);
    }

    private static NpyDataType ParseDescr(object? descr, string displayName)
    {
        if (descr is not string text)
        {
            throw Invalid(displayName, "has a structured dtype; only plain float32 ('<f4') and float64 ('<f8') arrays are supported");
        }

        // '<' little-endian, '=' native (little-endian on every host .NET runs on), '|' not applicable;
        // NumPy accepts all three, and the bare 'f4' too.
        char first = text.Length > 0 ? text[0] : '\0';
        bool hasOrder = first is '<' or '>' or '=' or '|';
        char order = hasOrder ? first : '=';
        string code = hasOrder ? text[1..] : text;
        NpyDataType? dataType = code switch
        {
            "f4" => NpyDataType.Float32,
            "f8" => NpyDataType.Float64,
            _ => null,
        };

        if (dataType is null)
        {
            throw Invalid(displayName, $"has dtype '{text}'{DescribeDtype(code)}; only float32 ('<f4') and float64 ('<f8') are supported (convert with a.astype(np.float32))");
        }

        if (order == '>')
        {
            throw Invalid(displayName, $"has big-endian dtype '{text}'; only little-endian float32 ('<f4') and float64 ('<f8') are supported (convert with a.astype('<{code}'))");
        }

        return dataType.Value;
    }

    private static string DescribeDtype(string code)
    {
        if (code.Length < 2 || !int.TryParse(code.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
        {
            return string.Empty;
        }

        string? name = code[0] switch
        {
            'i' => $"int{size * 8}",
            'u' => $"uint{size * 8}",
            'f' => $"float{size * 8}",
            'c' => $"complex{size * 8}",
            'b' => "bool",
            _ => null,
        };
        return name is null ? string.Empty : $" ({name})";
    }

    private static NpyArray ReadData(Stream stream, string displayName, NpyDataType dataType, int[] shape, long count)
    {
        int itemSize = dataType == NpyDataType.Float32 ? sizeof(float) : sizeof(double);
        long expectedBytes = count * itemSize;

        // Check the length before allocating: a corrupt header must not trigger a multi-gigabyte allocation.
        if (stream.CanSeek && stream.Length - stream.Position < expectedBytes)
        {
            throw Truncated(displayName, shape, dataType, expectedBytes, stream.Length - stream.Position);
        }

        if (dataType == NpyDataType.Float32)
        {
            var values = new float[count];
            ReadChunked<float>(stream, values, displayName, shape, dataType, expectedBytes);
            return new NpyArray(values, shape);
        }
        else
        {
            var values = new double[count];
            ReadChunked<double>(stream, values, displayName, shape, dataType, expectedBytes);
            return new NpyArray(values, shape);
        }
    }

    private static void ReadChunked<T>(Stream stream, T[] values, string displayName, int[] shape, NpyDataType dataType, long expectedBytes)
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
                throw Truncated(displayName, shape, dataType, expectedBytes, read);
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

    private static InvalidDataException Truncated(string displayName, int[] shape, NpyDataType dataType, long expectedBytes, long actualBytes) =>
        Invalid(displayName, $"is truncated: shape {DescribeShape(shape)} of {(dataType == NpyDataType.Float32 ? "float32" : "float64")} needs {expectedBytes} data bytes, the file holds {actualBytes}");

    /// <summary>The shape as NumPy prints it: (3, 4), (5,), ().</summary>
    public static string DescribeShape(ReadOnlySpan<int> shape) =>
        shape.Length == 1
            ? $"({shape[0].ToString(CultureInfo.InvariantCulture)},)"
            : $"({string.Join(", ", shape.ToArray().Select(s => s.ToString(CultureInfo.InvariantCulture)))})";

    private static InvalidDataException Invalid(string displayName, string problem) => new($"{displayName}: {problem}.");

    private static void EnsureLittleEndianHost()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException(".npy I/O assumes a little-endian host.");
        }
    }
}
