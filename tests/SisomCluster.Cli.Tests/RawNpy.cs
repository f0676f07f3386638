using System.Buffers.Binary;
using System.Text;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// .npy bytes built by hand from a header dict and raw data, the way numpy.lib.format lays them out,
/// for files the product writer deliberately cannot produce (int64, big-endian, Fortran order, v2.0/v3.0).
/// </summary>
public static class RawNpy
{
    public static byte[] Build(string headerDict, ReadOnlySpan<byte> data, byte major = 1)
    {
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + headerDict.Length + 1 + 63) / 64 * 64;
        byte[] header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(headerDict.PadRight(total - prefix - 1) + "\n");
        using var stream = new MemoryStream();
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0]);
        var length = new byte[major == 1 ? 2 : 4];
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        }

        stream.Write(length);
        stream.Write(header);
        stream.Write(data);
        return stream.ToArray();
    }

    public static byte[] Float32LittleEndian(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    public static byte[] Float64LittleEndian(params double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        return bytes;
    }
}
