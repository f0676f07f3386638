using System.Text;
using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

/// <summary>
/// The ids-file reader finds lines in a read buffer and carries a line cut by the buffer's end over to the next read: every
/// line, wherever the reads cut it, comes back whole with the byte offset it starts at (what a shard descriptor stores and a
/// worker seeks to), and a line longer than <see cref="IdLines.MaxLineBytes"/> is refused however the reads cut it.
/// </summary>
public sealed class IdLinesTests
{
    [Fact]
    public async Task Lines_of_every_length_come_back_whole_with_their_offsets_across_buffer_boundaries()
    {
        using var files = new PoolTestFiles();
        var random = new Random(5);
        var ids = new List<string>();
        var text = new StringBuilder("\uFEFF");
        var offsets = new List<long>();
        long offset = 0;
        for (int i = 0; i < 4000; i++)
        {
            // Short ids, ids of a few hundred bytes, now and then one near the limit, non-ASCII, CRLF or LF.
            int length = i % 997 == 3 ? IdLines.MaxLineBytes - 10 : random.Next(1, i % 7 == 0 ? 400 : 30);
            string id = $"é{i}-" + new string((char)('a' + (i % 26)), length);
            string end = i % 3 == 0 ? "\r\n" : "\n";
            ids.Add(id);
            offsets.Add(offset == 0 ? 0 : offset);
            text.Append(id).Append(end);
            offset += Encoding.UTF8.GetByteCount(id + end) + (i == 0 ? 3 : 0);
        }

        string path = files.PathOf("ids.txt");
        await File.WriteAllTextAsync(path, text.ToString(), new UTF8Encoding(false));
        Assert.True(new FileInfo(path).Length > 3 * (IdLines.MaxLineBytes + (1 << 16)), "the file must span several buffers");

        var read = new List<(string Id, long Offset)>();
        await foreach ((string Id, long Offset) line in IdLines.ReadAsync(path))
        {
            read.Add(line);
        }

        Assert.Equal(ids, read.Select(r => r.Id));
        Assert.Equal(offsets, read.Select(r => r.Offset));

        // From a line's offset the reader starts at that line, as a worker's shard does.
        int from = 2345;
        var tail = new List<string>();
        await foreach ((string Id, long _) line in IdLines.ReadAsync(path, offsets[from]))
        {
            tail.Add(line.Id);
        }

        Assert.Equal(ids.Skip(from), tail);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70_000)]
    [InlineData(131_000)]
    public async Task A_line_longer_than_the_limit_is_refused_wherever_it_starts(int before)
    {
        using var files = new PoolTestFiles();
        string path = files.PathOf("ids.txt");
        string shortLines = string.Concat(Enumerable.Range(0, before / 10).Select(i => $"id-{i:00000}\n"));
        await File.WriteAllTextAsync(path, shortLines + new string('x', IdLines.MaxLineBytes + 1) + "\nlast\n", new UTF8Encoding(false));

        InvalidDataException refused = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach ((string Id, long Offset) _ in IdLines.ReadAsync(path))
            {
            }
        });
        Assert.Contains($"the line at byte {Encoding.UTF8.GetByteCount(shortLines)} is longer than {IdLines.MaxLineBytes} bytes", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_line_of_exactly_the_limit_and_a_last_line_without_an_end_are_read()
    {
        using var files = new PoolTestFiles();
        string path = files.PathOf("ids.txt");
        string longest = new('y', IdLines.MaxLineBytes);
        await File.WriteAllTextAsync(path, "a\n" + longest + "\nz", new UTF8Encoding(false));

        var read = new List<string>();
        await foreach ((string Id, long _) line in IdLines.ReadAsync(path))
        {
            read.Add(line.Id);
        }

        Assert.Equal(["a", longest, "z"], read);
    }
}
