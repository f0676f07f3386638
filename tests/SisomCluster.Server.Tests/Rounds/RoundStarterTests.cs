using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Rounds;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Rounds;
using SisomCluster.Server.Runs;
using Xunit;

namespace SisomCluster.Server.Tests.Rounds;

/// <summary>
/// <see cref="RoundStarter"/> against PostgreSQL: labels, run and round row in one transaction; what a retry of the same
/// round id does; what makes two requests under one id different.
/// </summary>
public sealed class RoundStarterTests : IAsyncLifetime
{
    private readonly DatabaseFixture _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Labels_are_not_left_behind_when_the_round_cannot_be_written_after_they_were_imported()
    {
        (Guid poolId, string pool) = await PoolAsync();

        // The run cannot be created (quantile 2): that happens after the import, inside the round's transaction.
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            await Assert.ThrowsAsync<ArgumentException>(() => Starter(db).StartAsync("r-crash", pool, "id,label\na,0\nb,1\n", null, new RunRequest(pool, "resnet18", 3, Quantile: 2), CancellationToken.None));
        }

        Assert.Equal(0, await _database.CountAsync("SELECT count(*) FROM labels WHERE pool_id = $1", poolId));
        Assert.Equal(0, await _database.CountAsync("SELECT count(*) FROM rounds WHERE id = 'r-crash'"));
        Assert.Equal(0, await _database.CountAsync("SELECT count(*) FROM runs WHERE pool_id = $1", poolId));

        // The same request done right writes all three; its labels count as added, not as unchanged leftovers.
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            RoundStart start = await Starter(db).StartAsync("r-crash", pool, "id,label\na,0\nb,1\n", null, new RunRequest(pool, "resnet18", 3), CancellationToken.None);
            Assert.True(start.Created);
            Assert.Equal(2, start.Round.LabelsAdded);
            Assert.Equal(0, start.Round.LabelsUnchanged);
        }

        Assert.Equal(2, await _database.CountAsync("SELECT count(*) FROM labels WHERE pool_id = $1", poolId));
    }

    private static RoundStarter Starter(SisomDbContext db) =>
        new(db, new RunCreator(db, Options.Create(new RunOptions()), TimeProvider.System), TimeProvider.System);

    private async Task<(Guid Id, string Name)> PoolAsync()
    {
        Guid poolId = await Seed.PoolAsync(_database, ["a", "b", "c", "d"]);
        await using SisomDbContext db = _database.CreateDbContext();
        string name = await db.Pools.Where(p => p.Id == poolId).Select(p => p.Name).SingleAsync();
        return (poolId, name);
    }
}
