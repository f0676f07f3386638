using System.Net;
using Microsoft.Extensions.Configuration;
using SisomCluster.Contracts.Http;
using SisomCluster.Data.Access;
using SisomCluster.Server.Hosting;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// What the CLI needs of the one front door, through the typed client (SisomCluster.Contracts.Http): pool registration by
/// the server, runs listed with progress and found by id prefix, a run's scores paged, item ids with slashes, and the
/// server-side administration (sisom-server migrate, apikey create).
/// </summary>
public sealed class FrontDoorTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    private SisomApiClient Client(string key) => new(host.Client.BaseAddress!, key);

    [Fact]
    public async Task The_server_registers_a_pool_from_a_source_it_reads()
    {
        using SisomApiClient writer = Client(host.WriteKey);
        string source = Path.Combine(host.Directory, "pool");
        PoolRegisteredResponse added = await writer.RegisterPoolAsync(new RegisterPoolRequest("registered", source, "directory"));
        Assert.Equal("registered", added.Pool.Name);
        Assert.Equal("directory", added.Pool.SourceKind);
        Assert.Equal(4, added.Pool.ItemCount);
        Assert.Equal(1, added.Shards);
        Assert.Equal(4, (await writer.GetPoolAsync("registered")).ItemCount);
        Assert.Equal(4, await host.Database.CountAsync("SELECT count(*) FROM items i JOIN pools p ON p.id = i.pool_id WHERE p.name = 'registered'"));

        SisomApiException again = await Assert.ThrowsAsync<SisomApiException>(() => writer.RegisterPoolAsync(new RegisterPoolRequest("registered", source, null)));
        Assert.Equal(409, again.Status);

        SisomApiException relative = await Assert.ThrowsAsync<SisomApiException>(() => writer.RegisterPoolAsync(new RegisterPoolRequest("rel", "pool", null)));
        Assert.Equal(400, relative.Status);
        Assert.Contains("absolute path", relative.Message, StringComparison.Ordinal);

        SisomApiException missing = await Assert.ThrowsAsync<SisomApiException>(() => writer.RegisterPoolAsync(new RegisterPoolRequest("gone", Path.Combine(host.Directory, "nope"), null)));
        Assert.Equal(400, missing.Status);

        SisomApiException kind = await Assert.ThrowsAsync<SisomApiException>(() => writer.RegisterPoolAsync(new RegisterPoolRequest("kind", source, "zip")));
        Assert.Equal(400, kind.Status);
        Assert.Contains("unknown source kind 'zip'", kind.Message, StringComparison.Ordinal);

        using SisomApiClient reader = Client(host.ReadKey);
        SisomApiException forbidden = await Assert.ThrowsAsync<SisomApiException>(() => reader.RegisterPoolAsync(new RegisterPoolRequest("r", source, null)));
        Assert.Equal(403, forbidden.Status);
        Assert.Equal(0, await host.Database.CountAsync("SELECT count(*) FROM pools WHERE name IN ('rel', 'gone', 'kind', 'r')"));
    }

    [Fact]
    public async Task Runs_are_listed_with_progress_and_found_by_a_unique_prefix()
    {
        using SisomApiClient reader = Client(host.ReadKey);
        Page<RunResponse> page = await reader.ListRunsAsync(pool: host.PoolName);
        RunResponse listed = Assert.Single(page.Items, r => r.Id == host.RunId);
        Assert.NotNull(listed.Progress);
        Assert.Equal(1, listed.Progress!.DoneShards);
        Assert.Equal(ApiTestHost.ScoredItems, listed.Progress.ItemsScored);

        string prefix = host.RunId.ToString()[..8];
        Assert.Equal(host.RunId, (await reader.ResolveRunAsync(prefix)).Id);
        Assert.Equal(host.RunId, (await reader.ResolveRunAsync(host.RunId.ToString("N")[..12])).Id);
        Assert.Equal(host.RunId, (await reader.ResolveRunAsync(host.RunId.ToString())).Id);
        string other = prefix[0] == 'f' ? "0" + prefix[1..] : "f" + prefix[1..];
        Assert.Equal(404, (await Assert.ThrowsAsync<SisomApiException>(() => reader.ResolveRunAsync(other))).Status);
        Assert.Throws<ArgumentException>(() => RunIds.Parse("3f2c"));

        using HttpResponseMessage bad = await host.GetAsync("/api/v1/runs?id_prefix=%27%20OR%201=1--", host.ReadKey);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task A_runs_scores_come_back_whole_over_pages()
    {
        using SisomApiClient reader = Client(host.ReadKey);
        var ids = new List<string>();
        await foreach (ScoredItemResponse s in reader.ScoresAsync(host.RunId))
        {
            ids.Add(s.ItemId);
            if (s.ItemId == ApiTestHost.ItemId(5))
            {
                Assert.True(double.IsPositiveInfinity(s.Scores.DIn));
                Assert.True(s.Scores.Flags.NoReference);
            }
        }

        Assert.Equal(Enumerable.Range(0, ApiTestHost.ScoredItems).Select(ApiTestHost.ItemId).Order(StringComparer.Ordinal), ids);

        // Small pages join up to the same rows, each once.
        var paged = new List<string>();
        string? token = null;
        do
        {
            using HttpResponseMessage response = await host.GetAsync($"/api/v1/runs/{host.RunId}/scores?page_size=7" + (token is null ? "" : "&page_token=" + token), host.ReadKey);
            Page<ScoredItemResponse> page = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<Page<ScoredItemResponse>>(response.Content, SisomJson.Options))!;
            Assert.True(page.Items.Count <= 7);
            paged.AddRange(page.Items.Select(i => i.ItemId));
            token = page.NextPageToken;
        }
        while (token is not null);
        Assert.Equal(ids, paged);
    }

    [Theory]
    [InlineData("slash")]
    [InlineData("encoded")]
    public async Task Item_ids_with_slashes_reach_the_item(string form)
    {
        const string id = "shard-01/key 7.png";
        await host.Database.CountAsync(
            "WITH added AS (INSERT INTO items (pool_id, item_id, uri) VALUES ($1, $2, '/nowhere') ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM added", host.PoolId, id);
        string path = form == "slash" ? string.Join('/', id.Split('/').Select(Uri.EscapeDataString)) : SisomApiClient.ItemPath(id);
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/runs/{host.RunId}/items/{path}", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"item_id\":\"shard-01/key 7.png\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sisom_server_migrates_and_mints_the_first_admin_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Sisom"] = host.Database.ConnectionString }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, await AdminCommands.RunAsync(["migrate"], configuration, output, error));
        Assert.Contains("the schema is up to date", output.ToString(), StringComparison.Ordinal);

        using var secret = new StringWriter();
        Assert.Equal(0, await AdminCommands.RunAsync(["apikey", "create", "--name", "ops", "--scope", "admin"], configuration, secret, error));
        using SisomApiClient admin = Client(secret.ToString().Trim());
        Assert.Contains(await admin.ListApiKeysAsync(), k => k.Name == "ops" && k.Scopes.SequenceEqual([ApiScopes.Admin]));

        using var bad = new StringWriter();
        Assert.Equal(2, await AdminCommands.RunAsync(["apikey", "create", "--name", "x", "--scope", "root"], configuration, output, bad));
        Assert.Contains("unknown scope 'root'", bad.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await AdminCommands.RunAsync(["apikey", "create", "--scope", "read"], configuration, output, bad));
        Assert.False(AdminCommands.Handles(["--roles", "api"]));
        Assert.True(AdminCommands.Handles(["migrate"]));

        var empty = new ConfigurationBuilder().Build();
        using var noDatabase = new StringWriter();
        Assert.Equal(2, await AdminCommands.RunAsync(["migrate"], empty, output, noDatabase));
        Assert.Contains("ConnectionStrings__Sisom is not set", noDatabase.ToString(), StringComparison.Ordinal);
    }
}
