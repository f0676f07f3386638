using System.Buffers.Binary;

namespace SisomCluster.Inference.Decoding;

/// <summary>
/// Recognises the accepted formats by their signature bytes, before Skia sees the data: Skia also decodes
/// ICO, WBMP and others, and WBMP's "signature" matches many non-image byte strings, so trusting Skia
/// alone would turn text files into "corrupt WBMP" instead of <see cref="DecodeFailure.UnsupportedFormat"/>.
/// </summary>
internal static class FormatSniffer
{
    private static ReadOnlySpan<byte> Png => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static ReadOnlySpan<byte> Jpeg => [0xFF, 0xD8, 0xFF];

    /// <summary>Bytes a complete signature needs (the longest is RIFF....WEBP).</summary>
    public const int SignatureLength = 12;

    /// <summary>
    /// The format whose signature <paramref name="data"/> starts with, or null. <paramref name="complete"/> is
    /// false when the data is shorter than the signature and only a prefix of it matched (a truncated file).
    /// </summary>
    public static ImageFormat? Sniff(ReadOnlySpan<byte> data, out bool complete)
    {
        complete = true;
        if (PrefixMatches(data, Png, out bool whole))
        {
            complete = whole;
            return ImageFormat.Png;
        }

        if (PrefixMatches(data, Jpeg, out whole))
        {
            complete = whole;
            return ImageFormat.Jpeg;
        }

        if (IsGif(data, out whole))
        {
            complete = whole;
            return ImageFormat.Gif;
        }

        if (IsWebP(data, out whole))
        {
            complete = whole;
            return ImageFormat.WebP;
        }

        if (IsBmp(data, out whole))
        {
            complete = whole;
            return ImageFormat.Bmp;
        }

        return null;
    }

    // Two bytes at least: a lone "B" or "R" is more likely text than the first byte of a BMP or WebP.
    private static bool PrefixMatches(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, out bool whole)
    {
        int n = Math.Min(data.Length, signature.Length);
        whole = data.Length >= signature.Length;
        return n >= 2 && data[..n].SequenceEqual(signature[..n]);
    }

    private static bool IsGif(ReadOnlySpan<byte> data, out bool whole)
    {
        // "GIF87a" or "GIF89a".
        if (!PrefixMatches(data, "GIF8"u8, out _))
        {
            whole = false;
            return false;
        }

        whole = data.Length >= 6;
        return (data.Length < 5 || data[4] is (byte)'7' or (byte)'9') && (data.Length < 6 || data[5] == (byte)'a');
    }

    private static bool IsWebP(ReadOnlySpan<byte> data, out bool whole)
    {
        // "RIFF", 4 bytes of chunk size, "WEBP".
        whole = data.Length >= 12;
        if (!PrefixMatches(data, "RIFF"u8, out bool riff))
        {
            return false;
        }

        return !riff || data.Length <= 8 || "WEBP"u8.StartsWith(data[8..Math.Min(data.Length, 12)]);
    }

    private static bool IsBmp(ReadOnlySpan<byte> data, out bool whole)
    {
        // "BM" alone is too weak (any text starting "BM"); the DIB header size at offset 14 names one of the
        // known header versions (core, info, v2, v3, OS/2 v2 short/long, v4, v5).
        whole = data.Length >= 18;
        if (!PrefixMatches(data, "BM"u8, out bool bm))
        {
            return false;
        }

        if (!bm || data.Length < 18)
        {
            return true;
        }

        uint dibSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        return dibSize is 12 or 16 or 40 or 52 or 56 or 64 or 108 or 124;
    }
}
