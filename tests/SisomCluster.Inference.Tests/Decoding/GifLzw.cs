namespace SisomCluster.Inference.Tests.Decoding;

/// <summary>
/// The smallest correct GIF LZW encoder: every pixel is emitted as its own literal code, while the
/// code width follows the dictionary the decoder builds (one entry per code after the first), with a
/// clear code before the table would fill. Larger than real LZW output, but valid for any decoder.
/// </summary>
internal static class GifLzw
{
    public static byte[] Encode(ReadOnlySpan<byte> indices, int minimumCodeSize)
    {
        int clear = 1 << minimumCodeSize;
        int end = clear + 1;
        var bits = new BitWriter();
        int width = minimumCodeSize + 1;
        int next = end + 1;
        bool first = true;
        bits.Write(clear, width);
        foreach (byte index in indices)
        {
            bits.Write(index, width);
            if (!first)
            {
                next++;
                if (next == 1 << width && width < 12)
                {
                    width++;
                }
            }

            first = false;
            if (next >= 4000)
            {
                bits.Write(clear, width);
                width = minimumCodeSize + 1;
                next = end + 1;
                first = true;
            }
        }

        bits.Write(end, width);
        return bits.ToArray();
    }

    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = [];
        private int _buffer;
        private int _count;

        public void Write(int code, int width)
        {
            _buffer |= code << _count;
            _count += width;
            while (_count >= 8)
            {
                _bytes.Add((byte)_buffer);
                _buffer >>= 8;
                _count -= 8;
            }
        }

        public byte[] ToArray()
        {
            if (_count > 0)
            {
                _bytes.Add((byte)_buffer);
            }

            return [.. _bytes];
        }
    }
}
