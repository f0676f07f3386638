using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using SisomCluster.Contracts.Http;
using SkiaSharp;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// What the dashboard reads, as public read-scope API: score histograms with thresholds, and the one thumbnail path
/// (decode under the workers' limits, resize, cache). Its own host: one test rewrites a score, another deletes a file.
/// </summary>
public sealed class DashboardDataTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task Histograms_bin_every_finite_score_of_the_run_with_its_threshold()
    {
        // An infinite score (what a missing reference yields) has no bin: it is left out, not allowed to stretch the range.
        await using (NpgsqlCommand command = host.Database.DataSource.CreateCommand("UPDATE item_scores SET sisome = 'Infinity' WHERE run_id = $1 AND item_id = 'img-05.png'"))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = host.RunId });
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        using HttpResponseMessage response = await host.GetAsync($"/api/v1/runs/{host.RunId}/histograms?bins=10", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement[] histograms = [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()];
        Assert.Equal(new[] { "sisom", "sisome", "knn", "energy" }, histograms.Select(h => h.GetProperty("score").GetString()));

        // sisom = i / 10 for i in 0..29: ten bins of width 0.29 hold three items each, the maximum folded into the last.
        JsonElement sisom = histograms[0];
        Assert.Equal(0.0, sisom.GetProperty("min").GetDouble());
        Assert.Equal(2.9, sisom.GetProperty("max").GetDouble(), 9);
        Assert.Equal(Enumerable.Repeat(3L, 10), sisom.GetProperty("counts").EnumerateArray().Select(c => c.GetInt64()));
        Assert.Equal(1.5, sisom.GetProperty("threshold").GetDouble());

        JsonElement sisome = histograms[1];
        Assert.Equal(ApiTestHost.ScoredItems - 1, sisome.GetProperty("counts").EnumerateArray().Sum(c => c.GetInt64()));
        Assert.Equal(29 / 20.0, sisome.GetProperty("max").GetDouble(), 9);
        Assert.Equal(JsonValueKind.Null, sisome.GetProperty("threshold").ValueKind);

        // knn = i / 30: every item binned; no knn threshold was stored for this run.
        JsonElement knn = histograms[2];
        Assert.Equal(ApiTestHost.ScoredItems, knn.GetProperty("counts").EnumerateArray().Sum(c => c.GetInt64()));
        Assert.Equal(29 / 30.0, knn.GetProperty("max").GetDouble(), 9);

        // A constant score has no width: every item in the first bin, min = max.
        JsonElement energy = histograms[3];
        Assert.Equal(ApiTestHost.Baselines.Energy, energy.GetProperty("min").GetDouble(), 12);
        Assert.Equal(ApiTestHost.Baselines.Energy, energy.GetProperty("max").GetDouble(), 12);
        Assert.Equal([ApiTestHost.ScoredItems, .. Enumerable.Repeat(0L, 9)], energy.GetProperty("counts").EnumerateArray().Select(c => c.GetInt64()));

        // The typed client reads the same wire format; one score, the default bin count.
        using var client = new SisomApiClient(host.Client.BaseAddress!, host.ReadKey);
        ScoreHistogramResponse one = Assert.Single(await client.HistogramsAsync(host.RunId, "sisom"));
        Assert.Equal(40, one.Counts.Count);
        Assert.Equal(ApiTestHost.ScoredItems, one.Counts.Sum());
        Assert.Equal(1.5, one.Threshold);
    }

    /// <summary>
    /// Labeled items that are pool items carry <c>is_reference</c>: their leave-one-out scores stay out of the histograms
    /// (no spike of the ID set itself), while the API still serves them with the flag.
    /// </summary>
    [Fact]
    public async Task Reference_items_are_left_out_of_the_histograms_and_served_with_their_flag()
    {
        await SetReferenceAsync(true);
        try
        {
            using var client = new SisomApiClient(host.Client.BaseAddress!, host.ReadKey);
            ScoreHistogramResponse sisom = Assert.Single(await client.HistogramsAsync(host.RunId, "sisom"));
            Assert.Equal(ApiTestHost.ScoredItems - 2, sisom.Counts.Sum());
            Assert.Equal(0.2, sisom.Min!.Value, 9);
            ScoreHistogramResponse knn = Assert.Single(await client.HistogramsAsync(host.RunId, "knn"));
            Assert.Equal(ApiTestHost.ScoredItems - 2, knn.Counts.Sum());

            using HttpResponseMessage response = await host.GetAsync($"/api/v1/runs/{host.RunId}/scores?page_size=3", host.ReadKey);
            JsonElement[] items = [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray()];
            Assert.Equal([true, true, false], items.Select(i => i.GetProperty("scores").GetProperty("flags").GetProperty("is_reference").GetBoolean()));
            Assert.Equal(1 / 30.0, items[1].GetProperty("scores").GetProperty("knn").GetDouble(), 9);
        }
        finally
        {
            await SetReferenceAsync(false);
        }
    }

    private async Task SetReferenceAsync(bool value)
    {
        await using NpgsqlCommand command = host.Database.DataSource.CreateCommand("UPDATE item_scores SET is_reference = $2 WHERE run_id = $1 AND item_id IN ('img-00.png', 'img-01.png')");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = host.RunId });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = value });
        Assert.Equal(2, await command.ExecuteNonQueryAsync());
    }

    [Theory]
    [InlineData("?bins=1", HttpStatusCode.BadRequest, "bins")]
    [InlineData("?bins=501", HttpStatusCode.BadRequest, "bins")]
    [InlineData("?bins=abc", HttpStatusCode.BadRequest, "bins")]
    [InlineData("?score=d_in", HttpStatusCode.BadRequest, "score")]
    [InlineData("?score=sisom;DROP TABLE item_scores", HttpStatusCode.BadRequest, "score")]
    public async Task Histogram_arguments_out_of_range_are_400_problem_details_naming_them(string query, HttpStatusCode status, string field)
    {
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/runs/{host.RunId}/histograms{query}", host.ReadKey);
        JsonElement problem = await ApiTestHost.ProblemAsync(response, status);
        Assert.StartsWith(field + ":", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Histograms_need_a_valid_key_and_an_existing_run()
    {
        await ApiTestHost.ProblemAsync(await host.GetAsync($"/api/v1/runs/{host.RunId}/histograms", null), HttpStatusCode.Unauthorized);
        await ApiTestHost.ProblemAsync(await host.GetAsync($"/api/v1/runs/{host.RunId}/histograms", host.RevokedKey), HttpStatusCode.Unauthorized);
        await ApiTestHost.ProblemAsync(await host.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/histograms", host.ReadKey), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_old_dashboard_data_routes_are_gone()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync("/dashboard/data/runs", host.ReadKey)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync($"/dashboard/data/runs/{host.RunId}", host.ReadKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync("/dashboard/dashboard.js", null)).StatusCode);
    }

    [Fact]
    public async Task A_small_image_is_enlarged_to_the_requested_longest_side()
    {
        // Fashion-MNIST is 28×28; the gallery asks for 112 and gets 112, nearest-neighbour (each source pixel a 4×4 block).
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/img-03.png?size=112", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using SKBitmap png = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((112, 112), (png.Width, png.Height));
        Assert.Equal(png.GetPixel(40, 40), png.GetPixel(43, 43));
    }

    [Fact]
    public async Task A_thumbnail_is_read_once_and_then_served_from_the_cache()
    {
        string file = Path.Combine(host.Directory, "pool", ApiTestHost.ItemId(2));
        using HttpResponseMessage first = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/img-02.png?size=48", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        byte[] rendered = await first.Content.ReadAsByteArrayAsync();

        // With the file gone, the same thumbnail still comes (from the cache), and another size cannot be made.
        File.Delete(file);
        using HttpResponseMessage again = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/img-02.png?size=48", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(rendered, await again.Content.ReadAsByteArrayAsync());
        await ApiTestHost.ProblemAsync(await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/img-02.png?size=64", host.ReadKey), (HttpStatusCode)422);
    }

    [Fact]
    public async Task An_image_over_the_workers_pixel_limit_is_refused_from_its_header()
    {
        // 20 000² = 4·10⁸ pixels declared by a 200-byte PNG: decoding it would allocate 1.6 GB. img-12.png is registered, unwritten.
        await File.WriteAllBytesAsync(Path.Combine(host.Directory, "pool", ApiTestHost.ItemId(12)), PngBomb(20_000));
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/img-12.png", host.ReadKey);
        string? detail = (await ApiTestHost.ProblemAsync(response, (HttpStatusCode)422)).GetProperty("detail").GetString();
        Assert.Contains("20000x20000, over the workers' limit of 100000000 pixels", detail, StringComparison.Ordinal);
    }

    /// <summary>A valid, tiny PNG whose header declares <paramref name="side"/>² RGB pixels.</summary>
    private static byte[] PngBomb(int side)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 8;
        header[9] = 2;
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", header);
        var idat = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(new byte[4096]);
        }

        WriteChunk(png, "IDAT", idat.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typeAndData);
        uint crc = 0xFFFFFFFF;
        foreach (byte b in typeAndData)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(word, ~crc);
        png.Write(word);
    }
}
