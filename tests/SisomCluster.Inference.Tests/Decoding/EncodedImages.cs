using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace SisomCluster.Inference.Tests.Decoding;

/// <summary>
/// Every test image, made in code: Skia encodes JPEG, PNG and WebP; BMP, GIF, indexed/grey PNGs and
/// the EXIF segment are written byte by byte, because this Skia build encodes neither BMP nor GIF and
/// gives no control over the PNG colour type.
/// </summary>
internal static class EncodedImages
{
    public static readonly SKColor Red = new(255, 0, 0);
    public static readonly SKColor Green = new(0, 255, 0);
    public static readonly SKColor Blue = new(0, 0, 255);
    public static readonly SKColor White = new(255, 255, 255);

    public static SKBitmap Bitmap(int width, int height, Func<int, int, SKColor> colour)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using SKPixmap pixmap = bitmap.PeekPixels();
        Span<byte> rgba = pixmap.GetPixelSpan();
        for (int y = 0, p = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++, p += 4)
            {
                // Written directly: SetPixel is one native call per pixel, seconds for a photo-sized bitmap.
                SKColor c = colour(x, y);
                (rgba[p], rgba[p + 1], rgba[p + 2], rgba[p + 3]) = (c.Red, c.Green, c.Blue, c.Alpha);
            }
        }

        return bitmap;
    }

    /// <summary>Left half <paramref name="left"/>, right half <paramref name="right"/>.</summary>
    public static SKBitmap Halves(int width, int height, SKColor left, SKColor right) =>
        Bitmap(width, height, (x, _) => x < width / 2 ? left : right);

    /// <summary>Quadrants: top-left red, top-right green, bottom-left blue, bottom-right white.</summary>
    public static SKBitmap Quadrants(int width, int height) =>
        Bitmap(width, height, (x, y) => (x < width / 2, y < height / 2) switch
        {
            (true, true) => Red,
            (false, true) => Green,
            (true, false) => Blue,
            _ => White,
        });

    /// <summary>Seeded noise: an image whose encoding is long enough to cut in the middle of the pixel data.</summary>
    public static SKBitmap Noise(int width, int height, int seed)
    {
        var random = new Random(seed);
        return Bitmap(width, height, (_, _) => new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 95)
    {
        using SKData data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"Skia cannot encode {format}.");
        return data.ToArray();
    }

    /// <summary>Encodes with Skia or, for BMP and GIF, by hand (GIF needs at most two colours).</summary>
    public static byte[] Encode(SKBitmap bitmap, string format) => format switch
    {
        "jpeg" => Encode(bitmap, SKEncodedImageFormat.Jpeg),
        "png" => Encode(bitmap, SKEncodedImageFormat.Png),
        "webp" => Encode(bitmap, SKEncodedImageFormat.Webp, 100),
        "bmp" => Bmp24(bitmap),
        "gif" => Gif(bitmap),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>A PNG with the given colour type and 8- or 16-bit (big-endian) samples, rows given raw (unfiltered).</summary>
    public static byte[] Png(int width, int height, byte colourType, byte[] samples, byte[]? palette = null, byte[]? transparency = null, byte bitDepth = 8)
    {
        int samplesPerPixel = colourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new ArgumentOutOfRangeException(nameof(colourType)) };
        int bytesPerPixel = samplesPerPixel * bitDepth / 8;
        int stride = width * bytesPerPixel;
        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter: none
            raw.Write(samples, y * stride, stride);
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth;
        header[9] = colourType;
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", header);
        if (palette is not null)
        {
            WriteChunk(png, "PLTE", palette);
        }

        if (transparency is not null)
        {
            WriteChunk(png, "tRNS", transparency);
        }

        WriteChunk(png, "IDAT", Zlib(raw.ToArray()));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A decompression bomb: a valid, tiny PNG whose header declares <paramref name="side"/>² RGB pixels.</summary>
    public static byte[] PngBomb(int side)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 8;
        header[9] = 2;
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", Zlib(new byte[4096]));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>24-bit bottom-up BMP (BITMAPINFOHEADER), rows padded to 4 bytes, BGR.</summary>
    public static byte[] Bmp24(SKBitmap bitmap)
    {
        int stride = ((bitmap.Width * 3) + 3) & ~3;
        int imageSize = stride * bitmap.Height;
        var bmp = new byte[54 + imageSize];
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), bitmap.Width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), bitmap.Height);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(34), imageSize);
        for (int y = 0; y < bitmap.Height; y++)
        {
            int row = 54 + ((bitmap.Height - 1 - y) * stride);
            for (int x = 0; x < bitmap.Width; x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                bmp[row + (3 * x)] = c.Blue;
                bmp[row + (3 * x) + 1] = c.Green;
                bmp[row + (3 * x) + 2] = c.Red;
            }
        }

        return bmp;
    }

    /// <summary>GIF89a, one frame, a 2-colour global palette taken from the bitmap, LZW without compression.</summary>
    public static byte[] Gif(SKBitmap bitmap)
    {
        SKColor[] palette = [.. bitmap.Pixels.Distinct()];
        if (palette.Length > 2)
        {
            throw new ArgumentException("The test GIF writer takes at most two colours.", nameof(bitmap));
        }

        var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        WriteUInt16(gif, bitmap.Width);
        WriteUInt16(gif, bitmap.Height);
        gif.Write([0x80, 0, 0]); // global colour table of 2 entries, background 0, no aspect ratio
        for (int i = 0; i < 2; i++)
        {
            SKColor c = palette[Math.Min(i, palette.Length - 1)];
            gif.Write([c.Red, c.Green, c.Blue]);
        }

        gif.WriteByte(0x2C); // image descriptor at (0, 0), full size, no local table
        WriteUInt16(gif, 0);
        WriteUInt16(gif, 0);
        WriteUInt16(gif, bitmap.Width);
        WriteUInt16(gif, bitmap.Height);
        gif.WriteByte(0);
        gif.WriteByte(2); // LZW minimum code size (2 is the GIF minimum)
        byte[] indices = [.. bitmap.Pixels.Select(p => (byte)Array.IndexOf(palette, p))];
        byte[] lzw = GifLzw.Encode(indices, minimumCodeSize: 2);
        for (int i = 0; i < lzw.Length; i += 255)
        {
            int n = Math.Min(255, lzw.Length - i);
            gif.WriteByte((byte)n);
            gif.Write(lzw, i, n);
        }

        gif.WriteByte(0);
        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    /// <summary>Splices an EXIF APP1 segment holding only Orientation (tag 0x0112) right after the JPEG's SOI.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at offset 8
            0, 1,                                     // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1,             // Orientation, SHORT, count 1
            0, (byte)orientation, 0, 0,               // value, padded to 4 bytes
            0, 0, 0, 0,                               // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        int length = payload.Length + 2;
        byte[] app1 = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        return [.. jpeg.AsSpan(0, 2), .. app1, .. jpeg.AsSpan(2)];
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        png.Write(word);
    }

    private static byte[] Zlib(byte[] raw)
    {
        var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(raw);
        }

        return output.ToArray();
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }

    private static void WriteUInt16(Stream s, int value)
    {
        s.WriteByte((byte)value);
        s.WriteByte((byte)(value >> 8));
    }
}
