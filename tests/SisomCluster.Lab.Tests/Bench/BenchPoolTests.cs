using Microsoft.EntityFrameworkCore;
using Npgsql;
using SisomCluster.Cli.Tests;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using SisomCluster.Lab.Bench;
using Xunit;

namespace SisomCluster.Lab.Tests.Bench;

/// <summary>
/// <c>bench cluster</c> registers its pool and labels through the Data layer in a throw-away schema (not through the
/// CLI's cluster commands), against the real PostgreSQL; the schema is gone afterwards.
/// </summary>
public sealed class BenchPoolTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Bench_pool_registers_items_and_labels_in_the_bench_schema_which_is_dropped_afterwards()
    {
        string images = Directory.CreateDirectory(_directory.File("png")).FullName;
        FashionMnist data = FashionMnist.Load(train: true, limit: 3);
        for (int i = 0; i < data.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(images, $"img{i}.png"), data.EncodePng(i));
        }

        string labels = _directory.File("labels.csv");
        File.WriteAllLines(labels, ["img0.png,1", "img2.png,4"]);

        string schema;
        await using (BenchDatabase database = await BenchDatabase.CreateAsync(DatabaseFixture.BaseConnectionString, CancellationToken.None))
        {
            schema = database.Schema;
            Guid id = await BenchPool.RegisterAsync(database, "bench-test", images, labels, CancellationToken.None);

            await using SisomDbContext db = database.CreateDbContext();
            Pool pool = await db.Pools.SingleAsync();
            Assert.Equal((id, "bench-test", "directory", 3), (pool.Id, pool.Name, pool.SourceKind, pool.ItemCount));
            Assert.Equal(["img0.png", "img1.png", "img2.png"], (await db.Items.Where(i => i.PoolId == id).Select(i => i.ItemId).ToListAsync()).Order(StringComparer.Ordinal));
            var imported = (await db.Labels.Where(l => l.PoolId == id).Select(l => new { l.ItemId, l.Label }).ToListAsync()).OrderBy(l => l.ItemId, StringComparer.Ordinal).Select(l => (l.ItemId, l.Label));
            Assert.Equal([("img0.png", 1), ("img2.png", 4)], imported);
        }

        await using var connection = new NpgsqlConnection(DatabaseFixture.BaseConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", connection) { Parameters = { new() { Value = schema } } };
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }
}
