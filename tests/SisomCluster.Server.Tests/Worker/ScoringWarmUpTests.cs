using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Data;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Worker;
using Xunit;

namespace SisomCluster.Server.Tests.Worker;

/// <summary>The worker's start-up warm-up (its registration: RoleRegistrationTests).</summary>
public sealed class ScoringWarmUpTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public void The_warm_up_scores_its_synthetic_batch()
    {
        double seconds = Core.Scoring.KernelWarmUp.Run();
        Assert.True(seconds > 0 && seconds < 60, $"{seconds} s");
    }

    [Fact]
    public async Task The_database_warm_up_runs_a_shards_first_statements_and_changes_nothing()
    {
        Guid poolId = await Seed.PoolAsync(fixture);
        Guid runId = await Seed.RunAsync(fixture, poolId, shards: 3);
        const string State = "SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'pending' AND lease_owner IS NULL";
        Assert.Equal(3, await fixture.CountAsync(State, runId));

        await using ServiceProvider services = new ServiceCollection().AddSisomData(fixture.ConnectionString).BuildServiceProvider();
        double seconds = await ScoringWarmUp.WarmDatabaseAsync(services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);

        Assert.True(seconds > 0 && seconds < 60, $"{seconds} s");
        Assert.Equal(3, await fixture.CountAsync(State, runId));
        Assert.Equal(1, await fixture.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND state = 'pending'", runId));
    }
}
