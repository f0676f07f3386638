using System.Globalization;
using System.Runtime.CompilerServices;
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

        // Lines are found with a vectorised search and decoded straight from the read buffer; only a line cut by the
        // buffer's end is carried over (copied to the front before the next read), so the buffer holds at least one whole
        // line of the longest allowed length.
        var buffer = new byte[MaxLineBytes + (1 << 16)];
        int filled = 0;
        long bufferStart = offset;
        while (true)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            filled += read;
            int consumed = 0;
            while (true)
            {
                int newline = buffer.AsSpan(consumed, filled - consumed).IndexOf((byte)'\n');
                if (newline < 0)
                {
                    break;
                }

                long lineStart = bufferStart + consumed;
                yield return (Decode(buffer.AsSpan(consumed, Check(newline, lineStart, path)), lineStart), lineStart);
                consumed += newline + 1;
            }

            Check(filled - consumed, bufferStart + consumed, path);
            if (read == 0)
            {
                if (filled > consumed)
                {
                    long lineStart = bufferStart + consumed;
                    yield return (Decode(buffer.AsSpan(consumed, filled - consumed), lineStart), lineStart);
                }

                yield break;
            }

            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
            bufferStart += consumed;
        }
    }

    /// <summary>Refuses a line (or the unfinished part of one) longer than <see cref="MaxLineBytes"/>; returns its length.</summary>
    private static int Check(int length, long lineStart, string path) =>
        length <= MaxLineBytes
            ? length
            : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: the line at byte {lineStart} is longer than {MaxLineBytes} bytes; an ids file holds one id per line."));

    private static string Decode(ReadOnlySpan<byte> bytes, long lineStart)
    {
        if (lineStart == 0 && bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        return Encoding.UTF8.GetString(bytes).Trim();
    }
}
