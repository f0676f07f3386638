using System.Numerics;
using System.Runtime.InteropServices;

namespace SisomCluster.Inference.Decoding;

/// <summary>
/// Interleaved RGBA bytes at model-input size → planar CHW floats, normalised in the order
/// <see cref="PixelNormalization"/> documents. Vectorised with the same IEEE operations in the same
/// order as the scalar tail, so the result does not depend on the vector width. Holds private copies of
/// the manifest's arrays: a caller that later mutates them cannot change a decoder in use.
/// </summary>
internal sealed class TensorWriter
{
    private const float LumaR = 0.299f;
    private const float LumaG = 0.587f;
    private const float LumaB = 0.114f;

    private readonly int _planeSize;
    private readonly int _channels;
    private readonly int[] _sourceChannel;
    private readonly float _scale;
    private readonly float[] _mean;
    private readonly float[] _std;
    private readonly float[]? _meanImage;
    private readonly bool _grey;

    public TensorWriter(PixelNormalization normalization)
    {
        _channels = normalization.ChannelCount;
        _planeSize = normalization.Width * normalization.Height;
        _grey = normalization.ChannelOrder == ChannelOrder.Grey;
        _sourceChannel = normalization.ChannelOrder == ChannelOrder.Bgr ? [2, 1, 0] : [0, 1, 2];
        _scale = normalization.Scale;
        _mean = normalization.Mean is { } mean ? (float[])mean.Clone() : new float[_channels];
        _std = normalization.Std is { } std ? (float[])std.Clone() : [.. Enumerable.Repeat(1f, _channels)];
        _meanImage = (float[]?)normalization.MeanImage?.Clone();
    }

    public void Write(ReadOnlySpan<byte> rgba, Span<float> destination)
    {
        ReadOnlySpan<uint> pixels = MemoryMarshal.Cast<byte, uint>(rgba)[.._planeSize];
        for (int c = 0; c < _channels; c++)
        {
            Span<float> plane = destination.Slice(c * _planeSize, _planeSize);
            ReadOnlySpan<float> meanPlane = _meanImage is null ? default : _meanImage.AsSpan(c * _planeSize, _planeSize);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                i = WriteVectors(pixels, plane, meanPlane, c);
            }

            for (; i < plane.Length; i++)
            {
                uint p = pixels[i];
                float raw = _grey
                    ? (LumaR * Channel(p, 0)) + (LumaG * Channel(p, 1)) + (LumaB * Channel(p, 2))
                    : Channel(p, _sourceChannel[c]);
                float v = raw * _scale;
                if (_meanImage is not null)
                {
                    v -= meanPlane[i];
                }

                plane[i] = (v - _mean[c]) / _std[c];
            }
        }
    }

    /// <summary>Whole vectors of <paramref name="plane"/>; returns where the scalar tail starts.</summary>
    private int WriteVectors(ReadOnlySpan<uint> pixels, Span<float> plane, ReadOnlySpan<float> meanPlane, int c)
    {
        int lanes = Vector<float>.Count;
        var scale = new Vector<float>(_scale);
        var mean = new Vector<float>(_mean[c]);
        var std = new Vector<float>(_std[c]);
        int i = 0;
        for (; i <= plane.Length - lanes; i += lanes)
        {
            var p = new Vector<uint>(pixels.Slice(i, lanes));
            Vector<float> raw = _grey
                ? (LumaR * Channel(p, 0)) + (LumaG * Channel(p, 1)) + (LumaB * Channel(p, 2))
                : Channel(p, _sourceChannel[c]);
            Vector<float> v = raw * scale;
            if (_meanImage is not null)
            {
                v -= new Vector<float>(meanPlane.Slice(i, lanes));
            }

            ((v - mean) / std).CopyTo(plane.Slice(i, lanes));
        }

        return i;
    }

    // RGBA8888 in memory is R, G, B, A: on a little-endian uint, R is the low byte.
    private static int Shift(int channel) => BitConverter.IsLittleEndian ? 8 * channel : 24 - (8 * channel);

    private static float Channel(uint pixel, int channel) => (pixel >> Shift(channel)) & 0xFF;

    private static Vector<float> Channel(Vector<uint> pixels, int channel) =>
        Vector.ConvertToSingle(Vector.AsVectorInt32(Vector.ShiftRightLogical(pixels, Shift(channel)) & new Vector<uint>(0xFF)));
}
