using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SisomCluster.Core.Baselines;
using SisomCluster.Data.Access;
using SkiaSharp;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>The api role's door: keys and scopes (401/403), and hostile input — bad paging, SQL-looking values, malformed bodies, unknown routes.</summary>
public sealed class ApiAuthTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task No_key_is_401_problem_details_with_a_bearer_challenge()
    {
        using HttpResponseMessage response = await host.GetAsync("/api/v1/pools", key: null);

        JsonElement problem = await ApiTestHost.ProblemAsync(response, HttpStatusCode.Unauthorized);
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

        JsonElement problem = await ApiTestHost.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("The API key is unknown or revoked.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_header_that_is_not_bearer_is_401()
    {
        using HttpRequestMessage request = host.Request(HttpMethod.Get, "/api/v1/pools", key: null);
        request.Headers.TryAddWithoutValidation("Authorization", "Basic " + host.ReadKey);
        using HttpResponseMessage response = await host.Client.SendAsync(request);
        Assert.Contains("Bearer", (await ApiTestHost.ProblemAsync(response, HttpStatusCode.Unauthorized)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_without_the_scope_is_403()
    {
        using HttpResponseMessage start = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.ReadKey, new { pool = host.PoolName, budget = 3 });
        Assert.Contains("needs 'write'", (await ApiTestHost.ProblemAsync(start, HttpStatusCode.Forbidden)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        using HttpResponseMessage keys = await host.GetAsync("/api/v1/api-keys", host.WriteKey);
        await ApiTestHost.ProblemAsync(keys, HttpStatusCode.Forbidden);

        // write includes read.
        using HttpResponseMessage read = await host.GetAsync("/api/v1/pools", host.WriteKey);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task The_bootstrap_key_creates_a_key_that_works_until_it_is_revoked()
    {
        using HttpResponseMessage created = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/api-keys", ApiTestHost.BootstrapKey, new { name = "dashboard", scopes = new[] { "read" } });
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

        using (HttpResponseMessage revoke = await host.Client.SendAsync(host.Request(HttpMethod.Delete, $"/api/v1/api-keys/{id}", ApiTestHost.BootstrapKey)))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        using HttpResponseMessage after = await host.GetAsync("/api/v1/pools", secret);
        await ApiTestHost.ProblemAsync(after, HttpStatusCode.Unauthorized);

        using HttpResponseMessage badScope = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/api-keys", ApiTestHost.BootstrapKey, new { name = "x", scopes = new[] { "root" } });
        Assert.Contains("unknown scope 'root'", (await ApiTestHost.ProblemAsync(badScope, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
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
        Assert.Equal("page_size: must be between 1 and 1000, got 1000000000.", (await ApiTestHost.ProblemAsync(huge, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());

        using HttpResponseMessage overflow = await host.GetAsync("/api/v1/pools?page_size=99999999999999", host.ReadKey);
        Assert.Contains("page_size", (await ApiTestHost.ProblemAsync(overflow, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        using HttpResponseMessage garbage = await host.GetAsync("/api/v1/pools?page_token=%%%", host.ReadKey);
        Assert.StartsWith("page_token:", (await ApiTestHost.ProblemAsync(garbage, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sql_looking_input_is_only_ever_a_value()
    {
        long runsBefore = await host.Database.CountAsync("SELECT count(*) FROM runs");
        long scoresBefore = await host.Database.CountAsync("SELECT count(*) FROM item_scores");

        using (HttpResponseMessage pool = await host.GetAsync("/api/v1/pools/x'%3B%20DROP%20TABLE%20runs%3B--", host.ReadKey))
        {
            Assert.Contains("No pool named 'x'; DROP TABLE runs;--'", (await ApiTestHost.ProblemAsync(pool, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage runs = await host.GetAsync("/api/v1/runs?pool=%27%20OR%201%3D1%20--", host.ReadKey))
        {
            Assert.Equal(0, (await runs.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").GetArrayLength());
        }

        using (HttpResponseMessage item = await host.GetAsync($"/api/v1/runs/{host.RunId}/items/x'%3B%20DELETE%20FROM%20item_scores%3B--", host.ReadKey))
        {
            await ApiTestHost.ProblemAsync(item, HttpStatusCode.NotFound);
        }

        using (HttpResponseMessage similar = await host.GetAsync($"/api/v1/runs/{host.RunId}/similar/img-01.png'%20OR%20'1'%3D'1", host.ReadKey))
        {
            await ApiTestHost.ProblemAsync(similar, HttpStatusCode.NotFound);
        }

        using (HttpResponseMessage drift = await host.GetAsync($"/api/v1/runs/{host.RunId}/drift?kind=hour'--", host.ReadKey))
        {
            await ApiTestHost.ProblemAsync(drift, HttpStatusCode.BadRequest);
        }

        Assert.Equal(runsBefore, await host.Database.CountAsync("SELECT count(*) FROM runs"));
        Assert.Equal(scoresBefore, await host.Database.CountAsync("SELECT count(*) FROM item_scores"));
    }

    [Fact]
    public async Task A_malformed_body_is_400_problem_details_naming_what_is_wrong()
    {
        using (HttpResponseMessage notJson = await host.SendRawAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, "{\"pool\": ", "application/json"))
        {
            Assert.Contains("JSON", (await ApiTestHost.ProblemAsync(notJson, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage wrongType = await host.SendRawAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, "{\"pool\": \"fashion\", \"budget\": \"many\"}", "application/json"))
        {
            await ApiTestHost.ProblemAsync(wrongType, HttpStatusCode.BadRequest);
        }

        using (HttpResponseMessage missing = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName }))
        {
            Assert.StartsWith("budget: required", (await ApiTestHost.ProblemAsync(missing, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage quantile = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName, budget = 3, quantile = 1.5 }))
        {
            Assert.Equal("quantile: must lie in (0, 1], got 1.5.", (await ApiTestHost.ProblemAsync(quantile, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        }

        using (HttpResponseMessage pool = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = "nope", budget = 3 }))
        {
            Assert.Equal("pool: no pool named 'nope'.", (await ApiTestHost.ProblemAsync(pool, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        }

        // A JSON body over Api:MaxRequestBytes is 413 before it is parsed.
        using HttpResponseMessage large = await host.SendRawAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, "{\"pool\": \"" + new string('x', ApiTestHost.MaxRequestBytes + 100) + "\"}", "application/json");
        Assert.Contains($"at most {ApiTestHost.MaxRequestBytes} bytes", (await ApiTestHost.ProblemAsync(large, HttpStatusCode.RequestEntityTooLarge)).GetProperty("detail").GetString(), StringComparison.Ordinal);
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
        await ApiTestHost.ProblemAsync(route, HttpStatusCode.NotFound);
        using HttpResponseMessage notGuid = await host.GetAsync("/api/v1/runs/not-a-guid", host.ReadKey);
        await ApiTestHost.ProblemAsync(notGuid, HttpStatusCode.NotFound);
        using HttpResponseMessage run = await host.GetAsync($"/api/v1/runs/{Guid.NewGuid()}", host.ReadKey);
        await ApiTestHost.ProblemAsync(run, HttpStatusCode.NotFound);
        using HttpResponseMessage method = await host.Client.SendAsync(host.Request(HttpMethod.Put, "/api/v1/pools", host.ReadKey));
        await ApiTestHost.ProblemAsync(method, HttpStatusCode.MethodNotAllowed);
    }
}
