using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Runs;

/// <summary>
/// A run request is announced to the coordinators (PostgreSQL NOTIFY on <see cref="RunAnnouncements.Channel"/>) when the
/// transaction that wrote it commits — not before, and never for a request that was rolled back — so a launcher that
/// wakes on it finds the row. Other tests share the database's channel, so each run is told apart by its id, the payload.
/// </summary>
public sealed class RunAnnouncementsTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_run_request_is_announced_with_its_id_when_its_transaction_commits_and_never_when_rolled_back()
    {
        Guid poolId = await Seed.PoolAsync(fixture);
        string pool;
        await using (SisomDbContext db = fixture.CreateDbContext())
        {
            pool = await db.Pools.Where(p => p.Id == poolId).Select(p => p.Name).SingleAsync();
        }

        var heard = Channel.CreateUnbounded<string?>();
        using var stop = new CancellationTokenSource();
        Task listening = RunAnnouncements.ListenAsync(fixture.DataSource, payload => heard.Writer.TryWrite(payload), stop.Token);
        using (var first = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            // The listen is in place: the callback runs once without a payload.
            Assert.Null(await heard.Reader.ReadAsync(first.Token));
        }

        Guid rolledBack;
        await using (SisomDbContext db = fixture.CreateDbContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            rolledBack = await RunRequests.CreateAsync(db, pool, "resnet18", 10, 0.95, false, 100, 3, DateTimeOffset.UtcNow);
            await transaction.RollbackAsync();
        }

        Guid committed;
        await using (SisomDbContext db = fixture.CreateDbContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            committed = await RunRequests.CreateAsync(db, pool, "resnet18", 10, 0.95, false, 100, 3, DateTimeOffset.UtcNow);
            await Task.Delay(500);
            Assert.DoesNotContain(committed.ToString(), await DrainAsync(heard.Reader));
            await transaction.CommitAsync();
        }

        var seen = new List<string?>();
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (!seen.Contains(committed.ToString()) && DateTime.UtcNow < deadline)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                seen.Add(await heard.Reader.ReadAsync(wait.Token));
            }
            catch (OperationCanceledException)
            {
                // Nothing yet.
            }
        }

        Assert.Contains(committed.ToString(), seen);
        seen.AddRange(await DrainAsync(heard.Reader));
        Assert.DoesNotContain(rolledBack.ToString(), seen);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listening);
    }

    private static async Task<List<string?>> DrainAsync(ChannelReader<string?> reader)
    {
        await Task.Delay(200);
        var drained = new List<string?>();
        while (reader.TryRead(out string? payload))
        {
            drained.Add(payload);
        }

        return drained;
    }
}
