using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Runs;

/// <summary>
/// The selection's candidate factor is one value stored on the run when it is created (migration
/// <c>CandidateFactorOnRun</c>): the workers' shard commits keep budget × factor and the finaliser reads as many, so they
/// cannot disagree the way two settings could.
/// </summary>
public sealed class RunCandidateFactorTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_run_stores_the_factor_it_was_created_with_and_a_factor_outside_1_to_100_is_refused()
    {
        Guid poolId = await Seed.PoolAsync(fixture);
        string pool;
        await using (SisomDbContext db = fixture.CreateDbContext())
        {
            pool = await db.Pools.Where(p => p.Id == poolId).Select(p => p.Name).SingleAsync();
        }

        Guid seven, plain;
        await using (SisomDbContext db = fixture.CreateDbContext())
        {
            seven = await RunRequests.CreateAsync(db, pool, "resnet18", 10, 0.95, false, 100, 3, DateTimeOffset.UtcNow, candidateFactor: 7);
            plain = await RunRequests.CreateAsync(db, pool, "resnet18", 10, 0.95, false, 100, 3, DateTimeOffset.UtcNow);
        }

        Assert.Equal(7, await fixture.CountAsync("SELECT candidate_factor FROM runs WHERE id = $1", seven));
        Assert.Equal(Run.DefaultCandidateFactor, await fixture.CountAsync("SELECT candidate_factor FROM runs WHERE id = $1", plain));
        await using (SisomDbContext db = fixture.CreateDbContext())
        {
            Assert.Equal(7, (await db.Runs.SingleAsync(r => r.Id == seven)).CandidateFactor);
            foreach (int wrong in new[] { 0, 101 })
            {
                ArgumentException refused = await Assert.ThrowsAsync<ArgumentException>(() => RunRequests.CreateAsync(db, pool, "resnet18", 10, 0.95, false, 100, 3, DateTimeOffset.UtcNow, candidateFactor: wrong));
                Assert.Contains("candidate factor", refused.Message, StringComparison.Ordinal);
            }
        }

        // The column refuses it too (a run written by other means).
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => fixture.CountAsync("UPDATE runs SET candidate_factor = 0 WHERE id = $1 RETURNING 1", seven));
        Assert.Equal(1, await fixture.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND candidate_factor = 7", seven));
    }
}
