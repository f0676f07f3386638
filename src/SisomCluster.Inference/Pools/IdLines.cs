using System.Runtime.InteropServices;
using System.Text;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// The lines of an ids file (UTF-8, LF or CRLF) with the byte offset each starts at, so that a shard
/// descriptor can carry the offset of its first id and a worker seeks instead of reading every id
/// before its range.
/// </summary>
internal static class IdLines
{
    public static IEnumerable<(string Id, long Offset)> Read(string path, long offset = 0)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        stream.Position = offset;
        var buffer = new byte[1 << 16];
        var line = new List<byte>(64);
        long position = offset;
        long lineStart = offset;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            for (int i = 0; i < read; i++, position++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    line.Add(buffer[i]);
                    continue;
                }

                yield return (Decode(line, lineStart), lineStart);
                line.Clear();
                lineStart = position + 1;
            }
        }

        if (line.Count > 0)
        {
            yield return (Decode(line, lineStart), lineStart);
        }
    }

    private static string Decode(List<byte> line, long lineStart)
    {
        ReadOnlySpan<byte> bytes = CollectionsMarshal.AsSpan(line);
        if (lineStart == 0 && bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        return Encoding.UTF8.GetString(bytes).Trim();
    }
}
