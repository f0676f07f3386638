using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SisomCluster.Core.Baselines;
using SisomCluster.Data.Access;
using SkiaSharp;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>Every endpoint of the api role against the real database: pools, runs, labels, results, items, thumbnails, similar items.</summary>
public sealed class ApiTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task A_run_starts_pending_reports_progress_and_cancels()
    {
        using HttpResponseMessage start = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName, budget = 3, store_embeddings = true });
        Assert.Equal(HttpStatusCode.Created, start.StatusCode);
        JsonElement run = await start.Content.ReadFromJsonAsync<JsonElement>();
        string id = run.GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/runs/{id}", start.Headers.Location!.ToString());
        Assert.Equal("pending", run.GetProperty("state").GetString());
        Assert.True(run.GetProperty("store_embeddings").GetBoolean());
        Assert.Equal("resnet18", run.GetProperty("model").GetString());
        Assert.Equal("knn", run.GetProperty("ood_score").GetString()); // the default (README, "Which score flags OOD")

        using (HttpResponseMessage status = await host.GetAsync($"/api/v1/runs/{id}", host.ReadKey))
        {
            JsonElement body = await status.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(0, body.GetProperty("progress").GetProperty("total_shards").GetInt32());
        }

        using (HttpResponseMessage listed = await host.GetAsync($"/api/v1/runs?pool={host.PoolName}&state=pending", host.ReadKey))
        {
            JsonElement body = await listed.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(body.GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetString() == id);
        }

        using (HttpResponseMessage cancel = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{id}/cancel", host.WriteKey)))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
            Assert.Equal("cancelled", (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        }

        using (HttpResponseMessage again = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{id}/cancel", host.WriteKey)))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        using (HttpResponseMessage completed = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{host.RunId}/cancel", host.WriteKey)))
        {
            Assert.Contains("is completed", (await ApiTestHost.ProblemAsync(completed, HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using HttpResponseMessage unknown = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{Guid.NewGuid()}/cancel", host.WriteKey));
        await ApiTestHost.ProblemAsync(unknown, HttpStatusCode.NotFound);
    }

    /// <summary>A run names the score that flags OOD and drives its drift; the API records it and refuses names it does not know.</summary>
    [Fact]
    public async Task A_run_records_its_ood_score_and_an_unknown_one_is_400()
    {
        using (HttpResponseMessage start = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName, budget = 3, ood_score = "knn" }))
        {
            Assert.Equal(HttpStatusCode.Created, start.StatusCode);
            JsonElement run = await start.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("knn", run.GetProperty("ood_score").GetString());
            using HttpResponseMessage status = await host.GetAsync($"/api/v1/runs/{run.GetProperty("id").GetString()}", host.ReadKey);
            Assert.Equal("knn", (await status.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ood_score").GetString());
            using HttpResponseMessage cancel = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{run.GetProperty("id").GetString()}/cancel", host.WriteKey));
        }

        foreach (string wrong in new[] { "mahalanobis", "KNN", "" })
        {
            using HttpResponseMessage refused = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName, budget = 3, ood_score = wrong });
            Assert.StartsWith("ood_score:", (await ApiTestHost.ProblemAsync(refused, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // The wire names are Core's: one list, spelled twice only because Contracts has no dependencies.
        Assert.Equal(Core.Scoring.OodScores.All, Contracts.Http.OodScoreNames.All);
        Assert.Equal(Core.Scoring.OodScores.Default, Contracts.Http.OodScoreNames.Default);
    }

    [Fact]
    public async Task Runs_page_newest_first_without_repeats()
    {
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage start = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = "other", budget = 1 });
            Assert.Equal(HttpStatusCode.Created, start.StatusCode);
        }

        var seen = new List<(DateTimeOffset CreatedAt, string Id)>();
        string? token = null;
        do
        {
            using HttpResponseMessage page = await host.GetAsync($"/api/v1/runs?pool=other&page_size=2{(token is null ? "" : "&page_token=" + token)}", host.ReadKey);
            JsonElement body = await page.Content.ReadFromJsonAsync<JsonElement>();
            seen.AddRange(body.GetProperty("items").EnumerateArray().Select(r => (r.GetProperty("created_at").GetDateTimeOffset(), r.GetProperty("id").GetString()!)));
            token = body.GetProperty("next_page_token").GetString();
        }
        while (token is not null);

        Assert.Equal(3, seen.Count);
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.Equal(seen.OrderByDescending(r => r.CreatedAt), seen);
    }

    [Fact]
    public async Task Labels_import_all_or_nothing_and_an_oversized_upload_is_413()
    {
        using (HttpResponseMessage bad = await host.SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels", host.WriteKey, "id,label\nimg-02.png,1\nnot-there.png,2\nimg-03.png,x\n", "text/csv"))
        {
            JsonElement problem = await ApiTestHost.ProblemAsync(bad, HttpStatusCode.BadRequest);
            Assert.Equal(2, problem.GetProperty("problem_count").GetInt32());
            Assert.Equal(new[] { 3, 4 }, problem.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("line").GetInt32()));
        }

        Assert.Equal(0, await host.Database.CountAsync("SELECT count(*) FROM labels WHERE item_id = 'img-02.png'"));

        using (HttpResponseMessage good = await host.SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels", host.WriteKey, "id,label\nimg-02.png,1\n", "text/csv"))
        {
            Assert.Equal(HttpStatusCode.OK, good.StatusCode);
            Assert.Equal(1, (await good.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("added").GetInt32());
        }

        string large = string.Concat(Enumerable.Range(0, 400).Select(i => $"img-{i:D5}.png,1\n"));
        Assert.True(Encoding.UTF8.GetByteCount(large) > ApiTestHost.MaxLabelsBytes);
        using (HttpResponseMessage tooLarge = await host.SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels", host.WriteKey, large, "text/csv"))
        {
            Assert.Contains("4096 bytes", (await ApiTestHost.ProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage json = await host.SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels", host.WriteKey, "{}", "application/json"))
        {
            await ApiTestHost.ProblemAsync(json, HttpStatusCode.UnsupportedMediaType);
        }

        using HttpResponseMessage readOnly = await host.SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels", host.ReadKey, "img-03.png,1\n", "text/csv");
        await ApiTestHost.ProblemAsync(readOnly, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Selection_thresholds_and_drift_of_a_finished_run()
    {
        using HttpResponseMessage first = await host.GetAsync($"/api/v1/runs/{host.RunId}/selection?page_size=3", host.ReadKey);
        JsonElement page1 = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(new[] { 1, 2, 3 }, page1.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("rank").GetInt32()));
        using HttpResponseMessage second = await host.GetAsync($"/api/v1/runs/{host.RunId}/selection?page_size=3&page_token={page1.GetProperty("next_page_token").GetString()}", host.ReadKey);
        JsonElement page2 = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(new[] { 4, 5 }, page2.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("rank").GetInt32()));
        Assert.Equal("img-26.png", page2.GetProperty("items")[0].GetProperty("item_id").GetString());

        using HttpResponseMessage thresholds = await host.GetAsync($"/api/v1/runs/{host.RunId}/thresholds", host.ReadKey);
        JsonElement threshold = (await thresholds.Content.ReadFromJsonAsync<JsonElement>())[0];
        Assert.Equal("sisom", threshold.GetProperty("score_kind").GetString());
        Assert.Equal(1.5, threshold.GetProperty("value").GetDouble());

        using HttpResponseMessage all = await host.GetAsync($"/api/v1/runs/{host.RunId}/drift?page_size=2", host.ReadKey);
        JsonElement drift = await all.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(new[] { "hour", "source" }, drift.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("kind").GetString()));
        using HttpResponseMessage rest = await host.GetAsync($"/api/v1/runs/{host.RunId}/drift?page_size=2&page_token={drift.GetProperty("next_page_token").GetString()}", host.ReadKey);
        Assert.Equal("crawl-b", (await rest.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items")[0].GetProperty("bucket").GetString());

        using HttpResponseMessage sources = await host.GetAsync($"/api/v1/runs/{host.RunId}/drift?kind=source", host.ReadKey);
        Assert.Equal(2, (await sources.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").GetArrayLength());

        using HttpResponseMessage missing = await host.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/selection", host.ReadKey);
        await ApiTestHost.ProblemAsync(missing, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Item_detail_has_scores_flags_nearest_reference_label_rank_and_a_thumbnail_link()
    {
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/runs/{host.RunId}/items/img-00.png", host.ReadKey);
        JsonElement item = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, item.GetProperty("label").GetInt32());
        Assert.Equal("crawl-a", item.GetProperty("source").GetString());
        JsonElement scores = item.GetProperty("scores");
        Assert.Equal("img-00.png", scores.GetProperty("nearest_reference").GetString());
        Assert.True(scores.GetProperty("flags").GetProperty("ood_sisom").GetBoolean());
        LogitBaselines b = ApiTestHost.Baselines;
        Assert.Equal((b.Msp, b.MaxLogit, b.Energy, b.Entropy, b.Margin), (scores.GetProperty("msp").GetDouble(), scores.GetProperty("max_logit").GetDouble(), scores.GetProperty("energy").GetDouble(), scores.GetProperty("entropy").GetDouble(), scores.GetProperty("margin").GetDouble()));
        Assert.Equal($"/api/v1/pools/{host.PoolName}/thumbnails/img-00.png", item.GetProperty("thumbnail").GetString());

        using HttpResponseMessage selected = await host.GetAsync($"/api/v1/runs/{host.RunId}/items/img-29.png", host.ReadKey);
        Assert.Equal(1, (await selected.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("selected_rank").GetInt32());

        using HttpResponseMessage noReference = await host.GetAsync($"/api/v1/runs/{host.RunId}/items/img-05.png", host.ReadKey);
        JsonElement five = (await noReference.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("scores");
        Assert.Equal("Infinity", five.GetProperty("d_in").GetString());
        Assert.True(five.GetProperty("flags").GetProperty("no_reference").GetBoolean());

        using HttpResponseMessage failed = await host.GetAsync($"/api/v1/runs/{host.RunId}/items/img-30.png", host.ReadKey);
        JsonElement error = await failed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, error.GetProperty("scores").ValueKind);
        Assert.Equal("corrupt", error.GetProperty("error").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Thumbnails_are_small_pngs_of_pool_items_only()
    {
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/img-01.png?size=16", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        using SKBitmap png = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(16, Math.Max(png.Width, png.Height));

        using HttpResponseMessage outside = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/outside.png", host.ReadKey);
        Assert.Contains("outside pool", (await ApiTestHost.ProblemAsync(outside, (HttpStatusCode)422)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        using HttpResponseMessage traversal = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/..%2F..%2Fetc%2Fpasswd", host.ReadKey);
        await ApiTestHost.ProblemAsync(traversal, HttpStatusCode.NotFound);

        using HttpResponseMessage missingFile = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/img-09.png", host.ReadKey);
        await ApiTestHost.ProblemAsync(missingFile, (HttpStatusCode)422);

        using HttpResponseMessage badSize = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/img-01.png?size=100000", host.ReadKey);
        await ApiTestHost.ProblemAsync(badSize, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Similar_items_by_cosine_distance_before_and_after_the_run_index()
    {
        using HttpResponseMessage exact = await host.GetAsync($"/api/v1/runs/{host.RunId}/similar/img-01.png?k=5", host.ReadKey);
        JsonElement before = await exact.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ApiTestHost.Dimensions, before.GetProperty("dimensions").GetInt32());
        List<string> exactIds = [.. before.GetProperty("neighbours").EnumerateArray().Select(n => n.GetProperty("item_id").GetString()!)];
        Assert.Equal(5, exactIds.Count);

        // Items 0–14 point along axis 0, 15–29 along axis 1: the neighbours of item 1 are its own group, in cosine order.
        List<string> expected = [.. Enumerable.Range(0, 15).Where(i => i != 1)
            .OrderBy(i => CosineDistance(ApiTestHost.Embedding(1), ApiTestHost.Embedding(i))).ThenBy(ApiTestHost.ItemId, StringComparer.Ordinal).Take(5).Select(ApiTestHost.ItemId)];
        Assert.Equal(expected, exactIds);
        List<double> distances = [.. before.GetProperty("neighbours").EnumerateArray().Select(n => n.GetProperty("distance").GetDouble())];
        Assert.Equal(distances.Order(), distances);

        using HttpResponseMessage readOnly = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{host.RunId}/similarity-index", host.ReadKey));
        await ApiTestHost.ProblemAsync(readOnly, HttpStatusCode.Forbidden);

        using HttpResponseMessage create = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{host.RunId}/similarity-index", host.WriteKey));
        JsonElement index = await create.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(create.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, create.StatusCode.ToString());
        Assert.Equal("vector(8)", index.GetProperty("vector_type").GetString());
        Assert.Equal(1, await host.Database.CountAsync(
            "SELECT count(*) FROM pg_indexes WHERE indexname = $1 AND indexdef LIKE '%hnsw%vector(8)%vector_cosine_ops%' AND indexdef LIKE $2",
            index.GetProperty("index").GetString()!,
            $"%run_id = '{host.RunId}'%"));

        using HttpResponseMessage again = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{host.RunId}/similarity-index", host.WriteKey));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("created").GetBoolean());

        using HttpResponseMessage indexed = await host.GetAsync($"/api/v1/runs/{host.RunId}/similar/img-01.png?k=5", host.ReadKey);
        JsonElement after = await indexed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(after.GetProperty("indexed").GetBoolean());
        Assert.Equal(exactIds, after.GetProperty("neighbours").EnumerateArray().Select(n => n.GetProperty("item_id").GetString()!));

        using HttpResponseMessage badK = await host.GetAsync($"/api/v1/runs/{host.RunId}/similar/img-01.png?k=1000000000", host.ReadKey);
        await ApiTestHost.ProblemAsync(badK, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_planner_uses_the_run_index_for_the_similar_items_query()
    {
        using (HttpResponseMessage create = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{host.RunId}/similarity-index", host.WriteKey)))
        {
            Assert.True(create.IsSuccessStatusCode, create.StatusCode.ToString());
        }

        await using Npgsql.NpgsqlConnection connection = await host.Database.DataSource.OpenConnectionAsync();
        await using (var off = new Npgsql.NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }

        string sql = $"EXPLAIN SELECT item_id FROM item_scores WHERE run_id = '{host.RunId}' AND embedding IS NOT NULL AND item_id <> 'img-01.png' "
            + "ORDER BY (embedding::vector(8)) <=> ('[1,0,0,0,0,0,0,0]'::vector(8)) LIMIT 5";
        await using var explain = new Npgsql.NpgsqlCommand(sql, connection);
        var plan = new StringBuilder();
        await using (Npgsql.NpgsqlDataReader reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.AppendLine(reader.GetString(0));
            }
        }

        Assert.Contains($"ix_item_scores_hnsw_{host.RunId:N}", plan.ToString(), StringComparison.Ordinal);
    }

    private static double CosineDistance(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return 1 - (dot / Math.Sqrt(na * nb));
    }
}
