using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Inference.Models;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// <c>"embeddings_from"</c> in <c>POST /api/v1/runs</c>: a source run that cannot give its embeddings is a 400 naming why,
/// and a run's status says which run it re-scores and how many items it took from there.
/// </summary>
public sealed class EmbeddingsFromApiTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task A_source_run_that_cannot_give_its_embeddings_is_a_400_naming_why()
    {
        Guid other = await AddRunAsync("other", RunState.Completed, storeEmbeddings: true);
        Guid unstored = await AddRunAsync(host.PoolName, RunState.Completed, storeEmbeddings: false);
        Guid running = await AddRunAsync(host.PoolName, RunState.Running, storeEmbeddings: true);

        Assert.Contains("embeddings_from: give a run id", await BadRequestAsync("not-a-run"), StringComparison.Ordinal);
        Assert.Contains("no run", await BadRequestAsync(Guid.NewGuid().ToString()), StringComparison.Ordinal);
        Assert.Contains("scored pool 'other'", await BadRequestAsync(other.ToString()), StringComparison.Ordinal);
        Assert.Contains("stored no embeddings", await BadRequestAsync(unstored.ToString()), StringComparison.Ordinal);
        Assert.Contains("is running", await BadRequestAsync(running.ToString()), StringComparison.Ordinal);
        Assert.Equal(0, await host.Database.CountAsync("SELECT count(*) FROM runs WHERE embeddings_from = ANY($1)", new[] { other, unstored, running }));
    }

    [Fact]
    public async Task A_run_status_names_its_source_run_and_counts_the_reused_embeddings()
    {
        Guid source = await AddRunAsync(host.PoolName, RunState.Completed, storeEmbeddings: true);
        Guid run = await AddRunAsync(host.PoolName, RunState.Running, storeEmbeddings: false, embeddingsFrom: source);
        await using (SisomDbContext db = host.Database.CreateDbContext())
        {
            db.Shards.Add(new Shard { RunId = run, ShardId = 0, State = ShardState.Done, ItemCount = 10, Scored = 10, Reused = 7 });
            db.Shards.Add(new Shard { RunId = run, ShardId = 1, State = ShardState.Done, ItemCount = 5, Scored = 5, Reused = 5 });
            await db.SaveChangesAsync();
        }

        using HttpResponseMessage status = await host.GetAsync($"/api/v1/runs/{run}", host.ReadKey);
        JsonElement body = await status.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(source.ToString(), body.GetProperty("embeddings_from").GetString());
        Assert.Equal(12, body.GetProperty("progress").GetProperty("reused_embeddings").GetInt64());
        Assert.Equal(15, body.GetProperty("progress").GetProperty("items_scored").GetInt64());

        using HttpResponseMessage plain = await host.GetAsync($"/api/v1/runs/{source}", host.ReadKey);
        Assert.Equal(JsonValueKind.Null, (await plain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embeddings_from").ValueKind);
    }

    [Fact]
    public async Task A_round_re_scores_the_newest_completed_run_that_stored_embeddings_by_itself()
    {
        // The built-in model's version as the server computes it (SHA-256 of the prepared files).
        string cache = System.IO.Directory.CreateDirectory(Path.Combine(host.Directory, "reuse-models")).FullName;
        string version = DefaultModels.Resolve(DefaultModels.ResNet18Name, cache).Version;
        Guid older = await AddRunAsync(host.PoolName, RunState.Completed, storeEmbeddings: true, version: version, completedAt: DateTimeOffset.UtcNow.AddHours(-2));
        Guid newest = await AddRunAsync(host.PoolName, RunState.Completed, storeEmbeddings: true, version: version, completedAt: DateTimeOffset.UtcNow.AddHours(-1));
        await AddRunAsync(host.PoolName, RunState.Completed, storeEmbeddings: false, version: version, completedAt: DateTimeOffset.UtcNow);
        await AddRunAsync(host.PoolName, RunState.Completed, storeEmbeddings: true, version: "another-version", completedAt: DateTimeOffset.UtcNow);

        using HttpResponseMessage response = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/rounds", host.WriteKey, new { round_id = "reuse-" + Guid.NewGuid().ToString("N")[..8], pool = host.PoolName, labels = "", budget = 3 });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.StatusCode}: {body}");
        string runId = JsonDocument.Parse(body).RootElement.GetProperty("run_id").GetString()!;
        using HttpResponseMessage status = await host.GetAsync($"/api/v1/runs/{runId}", host.ReadKey);
        Assert.Equal(newest.ToString(), (await status.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embeddings_from").GetString());
        Assert.NotEqual(older, newest);
        using HttpResponseMessage cancel = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{runId}/cancel", host.WriteKey));
    }

    private async Task<string> BadRequestAsync(string embeddingsFrom)
    {
        using HttpResponseMessage response = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName, budget = 3, embeddings_from = embeddingsFrom });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {body}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
    }

    private async Task<Guid> AddRunAsync(string pool, RunState state, bool storeEmbeddings, Guid? embeddingsFrom = null, string version = "v-test", DateTimeOffset? completedAt = null)
    {
        await using SisomDbContext db = host.Database.CreateDbContext();
        Guid poolId = await db.Pools.Where(p => p.Name == pool).Select(p => p.Id).SingleAsync();
        var run = new Run
        {
            Id = Guid.NewGuid(),
            PoolId = poolId,
            ModelName = "resnet18",
            ModelVersion = version,
            State = state,
            ShardSize = 10,
            Quantile = 0.95,
            Budget = 3,
            StoreEmbeddings = storeEmbeddings,
            EmbeddingsFrom = embeddingsFrom,
            CreatedAt = DateTimeOffset.UtcNow,
            CompletedAt = completedAt,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }
}
