using System.Globalization;
using System.Runtime.CompilerServices;
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
    /// <summary>A line longer than this is not an id: the file is refused instead of being read into one string.</summary>
    public const int MaxLineBytes = 64 * 1024;

    public static async IAsyncEnumerable<(string Id, long Offset)> ReadAsync(string path, long offset = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var disposeStream = stream.ConfigureAwait(false);
        stream.Position = offset;
        var buffer = new byte[1 << 16];
        var line = new List<byte>(64);
        long position = offset;
        long lineStart = offset;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            for (int i = 0; i < read; i++, position++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    if (line.Count >= MaxLineBytes)
                    {
                        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: the line at byte {lineStart} is longer than {MaxLineBytes} bytes; an ids file holds one id per line."));
                    }

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
