using System.Buffers.Binary;
using System.Text;
using SkiaSharp;

namespace SisomCluster.Inference.Decoding;

/// <summary>
/// Turns a Skia failure into <see cref="DecodeFailure.Truncated"/> or <see cref="DecodeFailure.Corrupt"/>.
/// Skia's codes alone do not separate them: a PNG signature followed by garbage reports IncompleteInput
/// (libpng reads a random chunk length and runs out of data), a half WebP reports InvalidInput. So the
/// container structure decides where it can (PNG chunks with CRCs, the RIFF length of WebP), and the end
/// marker (JPEG EOI, GIF trailer) backs up IncompleteInput elsewhere.
/// </summary>
internal static class FailureClassifier
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    public static (DecodeFailure Failure, string Detail) Classify(ImageFormat format, ReadOnlySpan<byte> data, SKCodecResult result)
    {
        // Only JPEG (lossless, exotic sampling) and BMP (embedded JPEG/PNG, 64-bit) have variants Skia declines;
        // for the other formats "unimplemented" comes from garbage behind a valid signature.
        if (result is SKCodecResult.Unimplemented or SKCodecResult.InvalidConversion && format is ImageFormat.Jpeg or ImageFormat.Bmp)
        {
            return (DecodeFailure.UnsupportedFormat, $"{format} variant the decoder does not implement ({result})");
        }

        bool incomplete = result == SKCodecResult.IncompleteInput;
        switch (format)
        {
            case ImageFormat.Png:
                return ClassifyPng(data, incomplete);
            case ImageFormat.WebP:
                uint riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
                if (riffSize + 8L > data.Length)
                {
                    return (DecodeFailure.Truncated, $"WebP RIFF declares {riffSize + 8L} bytes, only {data.Length} present");
                }

                break;
            case ImageFormat.Jpeg:
                // A truncated JPEG has no End Of Image marker; one that has it but still ran out of data is malformed.
                incomplete &= !data.EndsWith((ReadOnlySpan<byte>)[0xFF, 0xD9]);
                break;
            case ImageFormat.Gif:
                incomplete &= data[^1] != 0x3B;
                break;
            case ImageFormat.Bmp:
                break;
        }

        return incomplete
            ? (DecodeFailure.Truncated, $"{format} data ends before the image does ({data.Length} bytes)")
            : (DecodeFailure.Corrupt, $"invalid {format} data ({result})");
    }

    private static (DecodeFailure Failure, string Detail) ClassifyPng(ReadOnlySpan<byte> data, bool incomplete)
    {
        int pos = 8;
        while (true)
        {
            if (pos + 8 > data.Length)
            {
                return (DecodeFailure.Truncated, $"PNG ends inside a chunk header at byte {pos} (no IEND)");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            ReadOnlySpan<byte> type = data.Slice(pos + 4, 4);
            foreach (byte b in type)
            {
                if (!char.IsAsciiLetter((char)b))
                {
                    return (DecodeFailure.Corrupt, $"invalid PNG chunk type at byte {pos + 4}");
                }
            }

            string name = Encoding.ASCII.GetString(type);
            if (length > int.MaxValue)
            {
                return (DecodeFailure.Corrupt, $"PNG chunk {name} at byte {pos} declares {length} bytes");
            }

            long end = pos + 12L + length;
            if (end > data.Length)
            {
                return (DecodeFailure.Truncated, $"PNG chunk {name} at byte {pos} needs {end} bytes, only {data.Length} present");
            }

            uint stored = BinaryPrimitives.ReadUInt32BigEndian(data[(int)(end - 4)..]);
            if (Crc32(data.Slice(pos + 4, 4 + (int)length)) != stored)
            {
                return (DecodeFailure.Corrupt, $"CRC mismatch in PNG chunk {name} at byte {pos}");
            }

            if (name == "IEND")
            {
                // Every chunk is whole and checksummed: an image that still ran out of data was written short.
                return incomplete
                    ? (DecodeFailure.Truncated, "PNG image data ends before the last row")
                    : (DecodeFailure.Corrupt, "invalid PNG image data");
            }

            pos = (int)end;
        }
    }

    /// <summary>CRC-32 (ISO-HDLC, as PNG uses), table-driven: a mutated 50 MB PNG must not cost a second here.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint[] table = CrcTable;
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
