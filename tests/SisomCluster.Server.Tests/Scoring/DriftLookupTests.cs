using Npgsql;
using SisomCluster.Data.Aggregates;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Scoring;
using Xunit;

namespace SisomCluster.Server.Tests.Scoring;

/// <summary>
/// Where a run's drift buckets come from (<see cref="ShardAggregation.DriftForAsync"/>): the rows, for a stored-embeddings
/// pool none of whose items has a source or capture time; the registry otherwise. The question is answered from the
/// partial index of described items, not by reading the pool's items.
/// </summary>
public sealed class DriftLookupTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private const int Items = 3000;

    [Fact]
    public async Task A_stored_embeddings_pool_counts_from_the_rows_until_one_of_its_items_is_described()
    {
        Guid embeddings = await PoolAsync(EmbeddingsPoolSource.KindName);
        Guid tar = await PoolAsync(TarPoolSource.KindName);

        Assert.Equal(DriftLookup.Rows, await DecideAsync(embeddings));
        Assert.Equal(DriftLookup.Registry, await DecideAsync(tar));

        // An item given a capture time by other means (an operator, a test): the registry is the definition again.
        await ExecuteAsync("UPDATE items SET captured_at = now() WHERE pool_id = $1 AND item_id = 'i-2999'", embeddings);
        Assert.Equal(DriftLookup.Registry, await DecideAsync(embeddings));
        await ExecuteAsync("UPDATE items SET captured_at = NULL, source = 'cam-7' WHERE pool_id = $1 AND item_id = 'i-0000'", embeddings);
        Assert.Equal(DriftLookup.Registry, await DecideAsync(embeddings));
        await ExecuteAsync("UPDATE items SET source = NULL, captured_at = NULL WHERE pool_id = $1", embeddings);
        Assert.Equal(DriftLookup.Rows, await DecideAsync(embeddings));
    }

    [Fact]
    public async Task The_question_is_one_probe_of_the_described_items_index_not_a_read_of_the_pool()
    {
        Guid pool = await PoolAsync(EmbeddingsPoolSource.KindName);
        await ExecuteAsync("ANALYZE items");

        await using NpgsqlCommand explain = database.DataSource.CreateCommand(
            "EXPLAIN SELECT EXISTS (SELECT 1 FROM items AS i WHERE i.pool_id = $1 AND (i.source IS NOT NULL OR i.captured_at IS NOT NULL))");
        explain.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = pool });
        var plan = new List<string>();
        await using (NpgsqlDataReader reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        string text = string.Join('\n', plan);
        Assert.Contains("ix_items_pool_id", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", text, StringComparison.Ordinal);
    }

    private async Task<DriftLookup> DecideAsync(Guid poolId)
    {
        await using var db = database.CreateDbContext();
        Pool pool = await db.Pools.FindAsync(poolId) ?? throw new InvalidOperationException("no pool");
        return await ShardAggregation.DriftForAsync(db, pool, CancellationToken.None);
    }

    private async Task<Guid> PoolAsync(string kind)
    {
        var id = Guid.NewGuid();
        await using (var db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = id, Name = $"drift-{id:N}", SourceKind = kind, SourceUri = $"/pools/{id:N}", ItemCount = Items });
            await db.SaveChangesAsync();
        }

        await ExecuteAsync("INSERT INTO items (pool_id, item_id, uri) SELECT $1, 'i-' || lpad(g::text, 4, '0'), 'row#' || g FROM generate_series(0, 2999) AS g", id);
        return id;
    }

    private async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using NpgsqlCommand command = database.DataSource.CreateCommand(sql);
        foreach (object value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }
}
