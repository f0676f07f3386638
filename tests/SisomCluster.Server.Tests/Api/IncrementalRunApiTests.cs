using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary><c>"incremental": true</c> in <c>POST /api/v1/runs</c> is recorded on the run and shown in its status.</summary>
public sealed class IncrementalRunApiTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task A_run_requested_incremental_says_so_and_a_plain_one_does_not()
    {
        using HttpResponseMessage incremental = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName, budget = 3, incremental = true });
        using HttpResponseMessage plain = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = host.PoolName, budget = 3 });
        Assert.Equal(HttpStatusCode.Created, incremental.StatusCode);
        Assert.Equal(HttpStatusCode.Created, plain.StatusCode);
        string id = (await incremental.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        JsonElement plainRun = await plain.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(plainRun.GetProperty("incremental").GetBoolean());

        using HttpResponseMessage status = await host.GetAsync($"/api/v1/runs/{id}", host.ReadKey);
        Assert.True((await status.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("incremental").GetBoolean());
        Assert.Equal(1, await host.Database.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND (options->>'incremental')::boolean", Guid.Parse(id)));

        foreach (string run in new[] { id, plainRun.GetProperty("id").GetString()! })
        {
            using HttpResponseMessage cancel = await host.Client.SendAsync(host.Request(HttpMethod.Post, $"/api/v1/runs/{run}/cancel", host.WriteKey));
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }
    }
}
