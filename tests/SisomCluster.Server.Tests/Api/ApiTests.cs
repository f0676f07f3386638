using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SisomCluster.Core.Baselines;
using SisomCluster.Data.Access;
using SkiaSharp;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>Every endpoint of the api role against the real database, with the hostile cases.</summary>
public sealed class ApiTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    private HttpClient Client => host.Client;

    [Fact]
    public async Task No_key_is_401_problem_details_with_a_bearer_challenge()
    {
        using HttpResponseMessage response = await host.GetAsync("/api/v1/pools", key: null);

        JsonElement problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("Authorization: Bearer", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sisom_00000000_not-a-key-at-all")]
    [InlineData("revoked")]
    [InlineData("bootstrap-key-for-the-api-tests-but-longer")]
    public async Task A_wrong_or_revoked_key_is_401(string key)
    {
        using HttpResponseMessage response = await host.GetAsync("/api/v1/pools", key == "revoked" ? host.RevokedKey : key);

        JsonElement problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("The API key is unknown or revoked.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_header_that_is_not_bearer_is_401()
    {
        using HttpRequestMessage request = host.Request(HttpMethod.Get, "/api/v1/pools", key: null);
        request.Headers.TryAddWithoutValidation("Authorization", "Basic " + host.ReadKey);
        using HttpResponseMessage response = await Client.SendAsync(request);
        Assert.Contains("Bearer", (await ProblemAsync(response, HttpStatusCode.Unauthorized)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_without_the_scope_is_403()
    {
        using HttpResponseMessage start = await SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.ReadKey, new { pool = host.PoolName, budget = 3 });
        Assert.Contains("needs 'write'", (await ProblemAsync(start, HttpStatusCode.Forbidden)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        using HttpResponseMessage keys = await host.GetAsync("/api/v1/api-keys", host.WriteKey);
        await ProblemAsync(keys, HttpStatusCode.Forbidden);

        // write includes read.
        using HttpResponseMessage read = await host.GetAsync("/api/v1/pools", host.WriteKey);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task The_bootstrap_key_creates_a_key_that_works_until_it_is_revoked()
    {
        using HttpResponseMessage created = await SendJsonAsync(HttpMethod.Post, "/api/v1/api-keys", ApiTestHost.BootstrapKey, new { name = "dashboard", scopes = new[] { "read" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonElement body = await created.Content.ReadFromJsonAsync<JsonElement>();
        string secret = body.GetProperty("secret").GetString()!;
        string id = body.GetProperty("key").GetProperty("id").GetString()!;
        Assert.Equal(ApiKeySecret.PrefixOf(secret), body.GetProperty("key").GetProperty("prefix").GetString());

        using (HttpResponseMessage ok = await host.GetAsync("/api/v1/pools", secret))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (HttpResponseMessage list = await host.GetAsync("/api/v1/api-keys", ApiTestHost.BootstrapKey))
        {
            string text = await list.Content.ReadAsStringAsync();
            Assert.Contains(id, text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        using (HttpResponseMessage revoke = await Client.SendAsync(host.Request(HttpMethod.Delete, $"/api/v1/api-keys/{id}", ApiTestHost.BootstrapKey)))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        using HttpResponseMessage after = await host.GetAsync("/api/v1/pools", secret);
        await ProblemAsync(after, HttpStatusCode.Unauthorized);

        using HttpResponseMessage badScope = await SendJsonAsync(HttpMethod.Post, "/api/v1/api-keys", ApiTestHost.BootstrapKey, new { name = "x", scopes = new[] { "root" } });
        Assert.Contains("unknown scope 'root'", (await ProblemAsync(badScope, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pools_page_with_a_token_and_a_page_size_of_a_billion_is_400()
    {
        using HttpResponseMessage first = await host.GetAsync("/api/v1/pools?page_size=1", host.ReadKey);
        JsonElement page1 = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("fashion", page1.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal(ApiTestHost.ScoredItems + 2, page1.GetProperty("items")[0].GetProperty("item_count").GetInt32());
        Assert.True(page1.GetProperty("items")[0].GetProperty("labeled").GetInt32() >= 2);
        string token = page1.GetProperty("next_page_token").GetString()!;

        using HttpResponseMessage second = await host.GetAsync($"/api/v1/pools?page_size=1&page_token={token}", host.ReadKey);
        JsonElement page2 = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("other", page2.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, page2.GetProperty("next_page_token").ValueKind);

        using HttpResponseMessage huge = await host.GetAsync("/api/v1/pools?page_size=1000000000", host.ReadKey);
        Assert.Equal("page_size: must be between 1 and 1000, got 1000000000.", (await ProblemAsync(huge, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());

        using HttpResponseMessage overflow = await host.GetAsync("/api/v1/pools?page_size=99999999999999", host.ReadKey);
        Assert.Contains("page_size", (await ProblemAsync(overflow, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        using HttpResponseMessage garbage = await host.GetAsync("/api/v1/pools?page_token=%%%", host.ReadKey);
        Assert.StartsWith("page_token:", (await ProblemAsync(garbage, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sql_looking_input_is_only_ever_a_value()
    {
        long runsBefore = await host.Database.CountAsync("SELECT count(*) FROM runs");
        long scoresBefore = await host.Database.CountAsync("SELECT count(*) FROM item_scores");

        using (HttpResponseMessage pool = await host.GetAsync("/api/v1/pools/x'%3B%20DROP%20TABLE%20runs%3B--", host.ReadKey))
        {
            Assert.Contains("No pool named 'x'; DROP TABLE runs;--'", (await ProblemAsync(pool, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage runs = await host.GetAsync("/api/v1/runs?pool=%27%20OR%201%3D1%20--", host.ReadKey))
        {
            Assert.Equal(0, (await runs.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").GetArrayLength());
        }

        using (HttpResponseMessage item = await host.GetAsync($"/api/v1/runs/{host.RunId}/items/x'%3B%20DELETE%20FROM%20item_scores%3B--", host.ReadKey))
        {
            await ProblemAsync(item, HttpStatusCode.NotFound);
        }

        using (HttpResponseMessage similar = await host.GetAsync($"/api/v1/runs/{host.RunId}/similar/img-01.png'%20OR%20'1'%3D'1", host.ReadKey))
        {
            await ProblemAsync(similar, HttpStatusCode.NotFound);
        }

        using (HttpResponseMessage drift = await host.GetAsync($"/api/v1/runs/{host.RunId}/drift?kind=hour'--", host.ReadKey))
        {
            await ProblemAsync(drift, HttpStatusCode.BadRequest);
        }

        Assert.Equal(runsBefore, await host.Database.CountAsync("SELECT count(*) FROM runs"));
        Assert.Equal(scoresBefore, await host.Database.CountAsync("SELECT count(*) FROM item_scores"));
    }

    [Fact]
    public async Task A_malformed_body_is_400_problem_details_naming_what_is_wrong()
    {
        using (HttpResponseMessage notJson = await SendRawAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, "{\"pool\": ", "application/json"))
        {
            Assert.Contains("JSON", (await ProblemAsync(notJson, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage wrongType = await SendRawAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, "{\"pool\": \"fashion\", \"budget\": \"many\"}", "application/json"))
        {
            await ProblemAsync(wrongType, HttpStatusCode.BadRequest);
        }

        using (HttpResponseMessage missing = await SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName }))
        {
            Assert.StartsWith("budget: required", (await ProblemAsync(missing, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage quantile = await SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName, budget = 3, quantile = 1.5 }))
        {
            Assert.Equal("quantile: must lie in (0, 1], got 1.5.", (await ProblemAsync(quantile, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        }

        using (HttpResponseMessage pool = await SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = "nope", budget = 3 }))
        {
            Assert.Equal("pool: no pool named 'nope'.", (await ProblemAsync(pool, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        }

        // A JSON body over Api:MaxRequestBytes is 413 before it is parsed.
        using HttpResponseMessage large = await SendRawAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, "{\"pool\": \"" + new string('x', ApiTestHost.MaxRequestBytes + 100) + "\"}", "application/json");
        Assert.Contains($"at most {ApiTestHost.MaxRequestBytes} bytes", (await ProblemAsync(large, HttpStatusCode.RequestEntityTooLarge)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_starts_pending_reports_progress_and_cancels()
    {
        using HttpResponseMessage start = await SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName, budget = 3, store_embeddings = true });
        Assert.Equal(HttpStatusCode.Created, start.StatusCode);
        JsonElement run = await start.Content.ReadFromJsonAsync<JsonElement>();
        string id = run.GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/runs/{id}", start.Headers.Location!.ToString());
        Assert.Equal("pending", run.GetProperty("state").GetString());
        Assert.True(run.GetProperty("store_embeddings").GetBoolean());
        Assert.Equal("resnet18", run.GetProperty("model").GetString());

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

        using (HttpResponseMessage cancel = await Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{id}/cancel", host.WriteKey)))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
            Assert.Equal("cancelled", (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        }

        using (HttpResponseMessage again = await Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{id}/cancel", host.WriteKey)))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        using (HttpResponseMessage completed = await Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{host.RunId}/cancel", host.WriteKey)))
        {
            Assert.Contains("is completed", (await ProblemAsync(completed, HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using HttpResponseMessage unknown = await Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{Guid.NewGuid()}/cancel", host.WriteKey));
        await ProblemAsync(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Runs_page_newest_first_without_repeats()
    {
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage start = await SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = "other", budget = 1 });
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
        using (HttpResponseMessage bad = await SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels", host.WriteKey, "id,label\nimg-02.png,1\nnot-there.png,2\nimg-03.png,x\n", "text/csv"))
        {
            JsonElement problem = await ProblemAsync(bad, HttpStatusCode.BadRequest);
            Assert.Equal(2, problem.GetProperty("problem_count").GetInt32());
            Assert.Equal(new[] { 3, 4 }, problem.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("line").GetInt32()));
        }

        Assert.Equal(0, await host.Database.CountAsync("SELECT count(*) FROM labels WHERE item_id = 'img-02.png'"));

        using (HttpResponseMessage good = await SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels", host.WriteKey, "id,label\nimg-02.png,1\n", "text/csv"))
        {
            Assert.Equal(HttpStatusCode.OK, good.StatusCode);
            Assert.Equal(1, (await good.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("added").GetInt32());
        }

        string large = string.Concat(Enumerable.Range(0, 400).Select(i => $"img-{i:D5}.png,1\n"));
        Assert.True(Encoding.UTF8.GetByteCount(large) > ApiTestHost.MaxLabelsBytes);
        using (HttpResponseMessage tooLarge = await SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels", host.WriteKey, large, "text/csv"))
        {
            Assert.Contains("4096 bytes", (await ProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage json = await SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels", host.WriteKey, "{}", "application/json"))
        {
            await ProblemAsync(json, HttpStatusCode.UnsupportedMediaType);
        }

        using HttpResponseMessage readOnly = await SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels", host.ReadKey, "img-03.png,1\n", "text/csv");
        await ProblemAsync(readOnly, HttpStatusCode.Forbidden);
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
        await ProblemAsync(missing, HttpStatusCode.NotFound);
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
        Assert.Contains("outside pool", (await ProblemAsync(outside, (HttpStatusCode)422)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        using HttpResponseMessage traversal = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/..%2F..%2Fetc%2Fpasswd", host.ReadKey);
        await ProblemAsync(traversal, HttpStatusCode.NotFound);

        using HttpResponseMessage missingFile = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/img-09.png", host.ReadKey);
        await ProblemAsync(missingFile, (HttpStatusCode)422);

        using HttpResponseMessage badSize = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/img-01.png?size=100000", host.ReadKey);
        await ProblemAsync(badSize, HttpStatusCode.BadRequest);
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

        using HttpResponseMessage readOnly = await Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{host.RunId}/similarity-index", host.ReadKey));
        await ProblemAsync(readOnly, HttpStatusCode.Forbidden);

        using HttpResponseMessage create = await Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{host.RunId}/similarity-index", host.WriteKey));
        JsonElement index = await create.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(create.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, create.StatusCode.ToString());
        Assert.Equal("vector(8)", index.GetProperty("vector_type").GetString());
        Assert.Equal(1, await host.Database.CountAsync(
            "SELECT count(*) FROM pg_indexes WHERE indexname = $1 AND indexdef LIKE '%hnsw%vector(8)%vector_cosine_ops%' AND indexdef LIKE $2",
            index.GetProperty("index").GetString()!,
            $"%run_id = '{host.RunId}'%"));

        using HttpResponseMessage again = await Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{host.RunId}/similarity-index", host.WriteKey));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("created").GetBoolean());

        using HttpResponseMessage indexed = await host.GetAsync($"/api/v1/runs/{host.RunId}/similar/img-01.png?k=5", host.ReadKey);
        JsonElement after = await indexed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(after.GetProperty("indexed").GetBoolean());
        Assert.Equal(exactIds, after.GetProperty("neighbours").EnumerateArray().Select(n => n.GetProperty("item_id").GetString()!));

        using HttpResponseMessage badK = await host.GetAsync($"/api/v1/runs/{host.RunId}/similar/img-01.png?k=1000000000", host.ReadKey);
        await ProblemAsync(badK, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_planner_uses_the_run_index_for_the_similar_items_query()
    {
        using (HttpResponseMessage create = await Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{host.RunId}/similarity-index", host.WriteKey)))
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

    [Fact]
    public async Task The_openapi_document_is_served_without_a_key()
    {
        using HttpResponseMessage response = await host.GetAsync("/openapi/v1.json", key: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement document = await response.Content.ReadFromJsonAsync<JsonElement>();
        JsonElement paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/runs", out _));
        Assert.True(paths.TryGetProperty("/api/v1/runs/{runId}/similarity-index", out _));
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("api_key").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task Unknown_routes_and_runs_are_404_problem_details()
    {
        using HttpResponseMessage route = await host.GetAsync("/api/v1/nothing-here", host.ReadKey);
        await ProblemAsync(route, HttpStatusCode.NotFound);
        using HttpResponseMessage notGuid = await host.GetAsync("/api/v1/runs/not-a-guid", host.ReadKey);
        await ProblemAsync(notGuid, HttpStatusCode.NotFound);
        using HttpResponseMessage run = await host.GetAsync($"/api/v1/runs/{Guid.NewGuid()}", host.ReadKey);
        await ProblemAsync(run, HttpStatusCode.NotFound);
        using HttpResponseMessage method = await Client.SendAsync(host.Request(HttpMethod.Put, "/api/v1/pools", host.ReadKey));
        await ProblemAsync(method, HttpStatusCode.MethodNotAllowed);
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

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, string key, object body)
    {
        HttpRequestMessage request = host.Request(method, path, key);
        request.Content = JsonContent.Create(body);
        return Client.SendAsync(request);
    }

    private Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string key, string body, string contentType)
    {
        HttpRequestMessage request = host.Request(method, path, key);
        request.Content = new StringContent(body, Encoding.UTF8, contentType);
        return Client.SendAsync(request);
    }
}
