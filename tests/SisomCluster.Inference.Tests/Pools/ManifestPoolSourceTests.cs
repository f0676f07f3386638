using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

public sealed class ManifestPoolSourceTests
{
    [Fact]
    public async Task Csv_resolves_relative_paths_and_file_uris_and_parses_source_and_capture_time()
    {
        using var files = new PoolTestFiles();
        files.Write("data/img/a.png", PoolTestFiles.Png(0));
        string b = files.Write("elsewhere/b.png", PoolTestFiles.Png(1));
        files.Write("data/img/c.png", PoolTestFiles.Png(2));
        // Columns in any order, an extra column, a quoted field with a comma, CRLF line ends.
        string manifest = files.WriteText("data/pool.csv",
            "uri,extra,id,captured_at,source\r\n" +
            "img/a.png,x,a,2024-05-01T12:00:00Z,\"crawl, may\"\r\n" +
            $"{new Uri(b).AbsoluteUri},y,b,2024-05-02T08:30:00+02:00,\r\n" +
            "./img/c.png,z,c,,news\r\n");

        var source = new ManifestPoolSource(manifest);
        PoolListing listing = await source.ListAllAsync(shardSize: 2);

        Assert.Equal(["a", "b", "c"], listing.Items.Select(i => i.Id));
        Assert.Equal([files.PathOf("data/img/a.png"), b, files.PathOf("data/img/c.png")], listing.Items.Select(i => i.Uri));
        Assert.Equal(["crawl, may", null, "news"], listing.Items.Select(i => i.Source));
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), listing.Items[0].CapturedAt);
        Assert.Equal(new DateTimeOffset(2024, 5, 2, 6, 30, 0, TimeSpan.Zero), listing.Items[1].CapturedAt);
        Assert.Null(listing.Items[2].CapturedAt);
        Assert.Equal([2, 1], listing.Shards.Select(s => s.ItemCount));

        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);
        Assert.Equal([PoolTestFiles.Png(0), PoolTestFiles.Png(1), PoolTestFiles.Png(2)], read.Select(i => i.Bytes.ToArray()));
        Assert.Equal("crawl, may", read[0].Source);
        Assert.Equal(listing.Items[1].CapturedAt, read[1].CapturedAt);
    }

    [Fact]
    public async Task Jsonl_takes_one_object_per_line_with_iso_or_unix_capture_times()
    {
        using var files = new PoolTestFiles();
        files.Write("img/a.png", PoolTestFiles.Png(3));
        files.Write("img/b.png", PoolTestFiles.Png(4));
        string manifest = files.WriteText("pool.jsonl",
            "{\"id\": \"a\", \"uri\": \"img/a.png\", \"source\": \"cam-1\", \"captured_at\": \"2024-01-02T03:04:05Z\"}\n" +
            "\n" +
            "{\"id\": 17, \"uri\": \"img/b.png\", \"captured_at\": 1700000000, \"label\": \"ignored\"}\n");

        var source = new ManifestPoolSource(manifest);
        PoolListing listing = await source.ListAllAsync(shardSize: 10);

        Assert.Equal(["a", "17"], listing.Items.Select(i => i.Id));
        Assert.Equal(["cam-1", null], listing.Items.Select(i => i.Source));
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), listing.Items[0].CapturedAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), listing.Items[1].CapturedAt);
        Assert.Equal([PoolTestFiles.Png(3), PoolTestFiles.Png(4)], (await PoolTestFiles.ReadAllAsync(source, listing)).Select(i => i.Bytes.ToArray()));
    }

    [Fact]
    public async Task Duplicate_ids_are_reported_with_their_lines_and_scored_once()
    {
        using var files = new PoolTestFiles();
        for (int i = 0; i < 4; i++)
        {
            files.Write($"img/{i}.png", PoolTestFiles.Png(i));
        }

        string manifest = files.WriteText("pool.csv", "id,uri\nx,img/0.png\ny,img/1.png\nx,img/2.png\nz,img/3.png\ny,img/1.png\n");

        var source = new ManifestPoolSource(manifest);
        PoolListing listing = await source.ListAllAsync(shardSize: 2);

        Assert.Equal(["x", "y", "z"], listing.Items.Select(i => i.Id));
        Assert.Equal([new PoolDuplicate("x", "line 4 (first at line 2)"), new PoolDuplicate("y", "line 6 (first at line 3)")], listing.Duplicates);
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);
        Assert.Equal(PoolTestFiles.Png(0), read[0].Bytes.ToArray());
    }

    [Fact]
    public async Task Malformed_csv_lines_are_rejected_together_with_their_line_numbers()
    {
        using var files = new PoolTestFiles();
        string manifest = files.WriteText("pool.csv",
            "id,uri,captured_at\n" +
            "ok,a.png,2024-01-01\n" +
            ",b.png,\n" +
            "c,,\n" +
            "d,d.png,yesterday\n" +
            "e,ftp://example.com/e.png,\n" +
            "f,f.png\n" +
            "\"g\nstill g\",g.png,\n" +
            "h,,\n");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new ManifestPoolSource(manifest).ListAllAsync(shardSize: 10));

        Assert.Contains("6 malformed line(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 3: missing id", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 4: missing uri", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 5: captured_at 'yesterday' is not an ISO-8601 time", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 6: uri scheme 'ftp' is not supported", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 7: 2 fields, the header has 3", error.Message, StringComparison.Ordinal);
        // The quoted line break in record 8 moves the next record to line 10.
        Assert.Contains("line 10: missing uri", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("line 2:", error.Message, StringComparison.Ordinal);
        Assert.StartsWith(manifest, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_jsonl_lines_carry_line_numbers()
    {
        using var files = new PoolTestFiles();
        string manifest = files.WriteText("pool.jsonl",
            "{\"id\": \"a\", \"uri\": \"a.png\"}\n" +
            "{\"id\": \"b\", \"uri\": \n" +
            "[1, 2]\n" +
            "{\"uri\": \"c.png\"}\n" +
            "{\"id\": \"d\", \"uri\": \"d.png\", \"captured_at\": \"May 1st\"}\n");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new ManifestPoolSource(manifest).ListAllAsync(shardSize: 10));

        Assert.Contains("line 2: invalid JSON", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 3: expected a JSON object, found Array", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 4: missing id", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 5: captured_at 'May 1st'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_first_twenty_errors_are_listed()
    {
        using var files = new PoolTestFiles();
        string manifest = files.WriteText("pool.csv", "id,uri\n" + string.Concat(Enumerable.Range(0, 25).Select(i => $"id{i},\n")));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new ManifestPoolSource(manifest).ListAllAsync(shardSize: 10));

        Assert.Contains("25 malformed line(s), the first 20", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 21: missing uri", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("line 22:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_header_without_id_and_uri_columns_is_a_clear_error()
    {
        using var files = new PoolTestFiles();
        string manifest = files.WriteText("pool.csv", "name,path\na,a.png\n");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new ManifestPoolSource(manifest).ListAllAsync(shardSize: 10));

        Assert.Contains("must name the columns id and uri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_becomes_an_item_with_an_error_and_the_shard_goes_on()
    {
        using var files = new PoolTestFiles();
        files.Write("a.png", PoolTestFiles.Png(0));
        files.Write("c.png", PoolTestFiles.Png(2));
        files.Write("dir.png/keep", [1]);
        string manifest = files.WriteText("pool.csv", "id,uri,source\na,a.png,s\nb,missing/b.png,s\nc,c.png,s\nd,dir.png,s\n");

        var source = new ManifestPoolSource(manifest);
        PoolListing listing = await source.ListAllAsync(shardSize: 10);
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);

        Assert.Equal([null, PoolItem.MissingCode, null, PoolItem.UnreadableCode], read.Select(i => i.ErrorCode));
        Assert.Contains(files.PathOf("missing/b.png"), read[1].Error, StringComparison.Ordinal);
        Assert.Equal("s", read[1].Source);
        Assert.Equal(PoolTestFiles.Png(2), read[2].Bytes.ToArray());
        Assert.NotNull(read[3].Error);
    }
}
