using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace SisomCluster.Inference.Npy;

/// <summary>
/// The checked header of a <c>.npy</c> file (format 1.0, 2.0 or 3.0; little-endian float32/float64, C order)
/// and where its data starts. This is the one reader of .npy headers: the offline commands, the Lab and the
/// embeddings pool source all go through it. Every limit is checked before anything is sized from the
/// header: the header is at most <see cref="MaxHeaderBytes"/> bytes and no longer than the stream, nesting
/// stops at <see cref="NpyHeaderParser.MaxDepth"/>, a shape has at most <see cref="MaxDimensions"/> extents of
/// at most <see cref="int.MaxValue"/> each, element and byte counts are computed with checked arithmetic, and
/// on a seekable stream the data must fit in what is left of it. Every problem is an
/// <see cref="InvalidDataException"/> with a one-line message that starts with the file's name.
/// </summary>
internal sealed record NpyHeader(NpyDataType DataType, int[] Shape, long Count, long DataOffset)
{
    /// <summary>Largest header accepted, in bytes (NumPy itself refuses headers over 10 000 bytes by default).</summary>
    public const int MaxHeaderBytes = 1 << 16;

    /// <summary>Most dimensions a shape may have (NumPy's NPY_MAXDIMS is 32 in 1.x, 64 in 2.x).</summary>
    public const int MaxDimensions = 64;

    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public int ItemSize => DataType == NpyDataType.Float32 ? sizeof(float) : sizeof(double);

    /// <summary>Bytes of data after the header; cannot overflow (checked when the header was read).</summary>
    public long DataBytes => Count * ItemSize;

    /// <summary>Reads and checks the header at the stream's position; on return the stream is at the first data byte.</summary>
    public static NpyHeader Read(Stream stream, string displayName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        long start = stream.CanSeek ? stream.Position : 0;
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
        if (headerLength > MaxHeaderBytes)
        {
            throw Invalid(displayName, $"announces a {headerLength}-byte header; at most {MaxHeaderBytes} bytes are accepted");
        }

        long dataOffset = 8 + lengthBytes.Length + headerLength;
        if (stream.CanSeek && stream.Length - start < dataOffset)
        {
            throw Invalid(displayName, "is truncated inside the header");
        }

        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
        {
            throw Invalid(displayName, "is truncated inside the header");
        }

        // 1.0 and 2.0 headers are latin-1; 3.0 allows UTF-8 (for unicode field names).
        string headerText = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        (NpyDataType dataType, int[] shape, long count) = ParseHeader(headerText, displayName);
        var header = new NpyHeader(dataType, shape, count, dataOffset);

        // Count ≤ 2^31·… is bounded below 2^63 by the checks in ParseHeader; the byte count is checked again here.
        long dataBytes;
        try
        {
            dataBytes = checked(count * header.ItemSize);
            _ = checked(dataOffset + dataBytes);
        }
        catch (OverflowException)
        {
            throw Invalid(displayName, $"has shape {NpyFile.DescribeShape(shape)}, more bytes than any file can hold");
        }

        if (stream.CanSeek && stream.Length - start - dataOffset < dataBytes)
        {
            throw Truncated(displayName, header, stream.Length - start - dataOffset);
        }

        return header;
    }

    /// <summary>The truncation error, shared with the data reader of non-seekable streams.</summary>
    public static InvalidDataException Truncated(string displayName, NpyHeader header, long actualBytes) =>
        Invalid(displayName, $"is truncated: shape {NpyFile.DescribeShape(header.Shape)} of {(header.DataType == NpyDataType.Float32 ? "float32" : "float64")} needs {header.DataBytes} data bytes, the file holds {actualBytes}");

    private static (NpyDataType DataType, int[] Shape, long Count) ParseHeader(string headerText, string displayName)
    {
        Dictionary<string, object?> header;
        try
        {
            header = NpyHeaderParser.ParseDictionary(headerText);
        }
        catch (FormatException e)
        {
            throw Invalid(displayName, $"has an unreadable header ({OneLine(e.Message)})");
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
            string extra = string.Join(", ", header.Keys.Where(k => k is not ("descr" or "fortran_order" or "shape")).Take(5).Select(k => $"'{Printable(k)}'"));
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

        if (extents.Length > MaxDimensions)
        {
            throw Invalid(displayName, $"has a {extents.Length}-dimensional shape; at most {MaxDimensions} dimensions are supported");
        }

        var shape = new int[extents.Length];
        long count = 1;
        for (int i = 0; i < extents.Length; i++)
        {
            if (extents[i] is not long extent || extent < 0 || extent > int.MaxValue)
            {
                throw Invalid(displayName, $"has an invalid extent {Printable(extents[i] as string ?? extents[i]?.ToString() ?? "None")} in its shape");
            }

            shape[i] = (int)extent;
            try
            {
                count = checked(count * extent);
            }
            catch (OverflowException)
            {
                throw Invalid(displayName, $"has shape {NpyFile.DescribeShape(shape.AsSpan(0, i + 1))}…, more values than any file can hold");
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
            throw Invalid(displayName, $"has dtype '{Printable(text)}'{DescribeDtype(code)}; only float32 ('<f4') and float64 ('<f8') are supported (convert with a.astype(np.float32))");
        }

        if (order == '>')
        {
            throw Invalid(displayName, $"has big-endian dtype '{text}'; only little-endian float32 ('<f4') and float64 ('<f8') are supported (convert with a.astype('<{code}'))");
        }

        return dataType.Value;
    }

    private static string DescribeDtype(string code)
    {
        if (code.Length < 2 || code.Length > 4 || !int.TryParse(code.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
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

    /// <summary>Header text quoted in a message: one line, at most 40 characters.</summary>
    private static string Printable(string text) => OneLine(text.Length > 40 ? text[..40] + "…" : text);

    private static string OneLine(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());

    private static InvalidDataException Invalid(string displayName, string problem) => new($"{displayName}: {problem}.");
}
