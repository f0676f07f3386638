using System.Net;
using System.Text.Json;
using SisomCluster.Data;
using SisomCluster.Data.Rounds;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// <c>GET /api/v1/rounds/{id}</c> is a read: it reports the state the aggregator's sweep will write (a running round whose
/// run completed shows completed, with the selection's size) and leaves the stored round as it is.
/// </summary>
public sealed class RoundReadTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task Reading_a_round_whose_run_ended_reports_it_completed_and_writes_nothing()
    {
        DateTimeOffset created = DateTimeOffset.UtcNow.AddMinutes(-5);
        await using (SisomDbContext db = host.Database.CreateDbContext())
        {
            db.Rounds.Add(new Round { Id = "read-only", PoolId = host.PoolId, LabelsSha256 = "h", Budget = 5, RunId = host.RunId, CreatedAt = created, UpdatedAt = created });
            await db.SaveChangesAsync();
        }

        using HttpResponseMessage response = await host.GetAsync("/api/v1/rounds/read-only", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement round = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("completed", round.GetProperty("state").GetString());
        Assert.Equal(5, round.GetProperty("selected").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, round.GetProperty("completed_at").ValueKind);

        // The stored round is the sweep's to move: still running, untouched.
        Assert.Equal(1, await host.Database.CountAsync("SELECT count(*) FROM rounds WHERE id = 'read-only' AND state = 'running' AND selected IS NULL AND completed_at IS NULL AND updated_at = $1", created));
        using HttpResponseMessage missing = await host.GetAsync("/api/v1/rounds/no-such-round", host.ReadKey);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
