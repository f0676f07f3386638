using System.Buffers.Binary;
using System.Text;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Inference.Tests.Fuzz;

/// <summary>.npy bytes for fuzzing: a valid seed written by the product writer, and hand-built files from a header dict.</summary>
internal static class NpyBytes
{
    /// <summary>A valid 3×4 float32 file.</summary>
    public static byte[] Seed()
    {
        using var stream = new MemoryStream();
        NpyFile.Write(stream, new NpyArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 3, 4));
        return stream.ToArray();
    }

    /// <summary>Magic, version, length and <paramref name="headerDict"/> padded as numpy.lib.format does, then <paramref name="data"/>.</summary>
    public static byte[] Build(string headerDict, int dataBytes = 0, byte major = 1)
    {
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + headerDict.Length + 1 + 63) / 64 * 64;
        byte[] header = Encoding.Latin1.GetBytes(headerDict.PadRight(total - prefix - 1) + "\n");
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
        stream.Write(new byte[dataBytes]);
        return stream.ToArray();
    }
}
