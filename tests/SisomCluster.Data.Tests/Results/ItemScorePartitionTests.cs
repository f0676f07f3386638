using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Results;

/// <summary>item_scores partitioned by run (migration PartitionItemScores): where rows land, deleting a run, migrating old rows.</summary>
public sealed class ItemScorePartitionTests : IClassFixture<DatabaseFixture>
{
    private readonly DatabaseFixture _fixture;
    private readonly ShardResultWriter _writer;

    public ItemScorePartitionTests(DatabaseFixture fixture)
    {
        _fixture = fixture;
        _writer = new ShardResultWriter(fixture.DataSource);
    }

    [Fact]
    public async Task A_new_run_gets_its_partition_and_its_rows_land_only_there()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid contextId = await Seed.ContextAsync(_fixture, poolId);
        Guid runA = await Seed.RunAsync(_fixture, poolId);
        Guid runB = await Seed.RunAsync(_fixture, poolId);

        await _writer.CommitAsync(runA, 0, 1, ScoreRows.Make(contextId, 30), []);
        await _writer.CommitAsync(runB, 0, 1, ScoreRows.Make(contextId, 20), []);

        Assert.Equal(30, await _fixture.CountAsync($"SELECT count(*) FROM {ItemScorePartitions.Name(runA)}"));
        Assert.Equal(20, await _fixture.CountAsync($"SELECT count(*) FROM {ItemScorePartitions.Name(runB)}"));
        Assert.Equal(1, await _fixture.CountAsync(
            "SELECT count(DISTINCT tableoid) FROM item_scores WHERE run_id = $1 AND tableoid = to_regclass($2)", runA, ItemScorePartitions.Name(runA)));

        // The parent keeps its key: every partition carries (run_id, item_id) as its primary key.
        Assert.Equal(1, await _fixture.CountAsync(
            "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = 'item_scores' AND c.relnamespace = to_regnamespace($1)",
            _fixture.Schema));
        Assert.Equal(1, await _fixture.CountAsync(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexdef LIKE '%UNIQUE%(run_id, item_id)%'",
            _fixture.Schema,
            ItemScorePartitions.Name(runA)));
    }

    [Fact]
    public async Task Deleting_a_finished_run_drops_its_partition_and_its_rows_and_leaves_other_runs_alone()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid contextId = await Seed.ContextAsync(_fixture, poolId);
        Guid gone = await Seed.RunAsync(_fixture, poolId, shards: 2);
        Guid kept = await Seed.RunAsync(_fixture, poolId);
        await _writer.CommitAsync(gone, 0, 1, ScoreRows.Make(contextId, 40), [new("bad.jpg", "corrupt", "x", DateTimeOffset.UtcNow)]);
        await _writer.CommitAsync(kept, 0, 1, ScoreRows.Make(contextId, 25), [new("bad.jpg", "corrupt", "x", DateTimeOffset.UtcNow)]);

        Assert.Equal(RunDeleteStatus.Active, await RunDeletion.DeleteAsync(_fixture.DataSource, gone));
        Assert.Equal(40, await _fixture.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", gone));

        await SetStateAsync(gone, RunState.Completed);
        Assert.Equal(RunDeleteStatus.Deleted, await RunDeletion.DeleteAsync(_fixture.DataSource, gone));

        Assert.Equal(0, await _fixture.CountAsync("SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)", ItemScorePartitions.Name(gone)));
        Assert.Equal(0, await _fixture.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", gone));
        Assert.Equal(0, await _fixture.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1", gone));
        Assert.Equal(0, await _fixture.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1", gone));
        Assert.Equal(0, await _fixture.CountAsync("SELECT count(*) FROM runs WHERE id = $1", gone));
        Assert.Equal(25, await _fixture.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", kept));
        Assert.Equal(1, await _fixture.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1", kept));
        Assert.Equal(RunDeleteStatus.NotFound, await RunDeletion.DeleteAsync(_fixture.DataSource, gone));
    }

    [Fact]
    public async Task Migrating_a_database_with_scores_moves_every_row_into_its_runs_partition()
    {
        string schema = $"t_{Guid.NewGuid():N}";
        string connectionString = new NpgsqlConnectionStringBuilder(DatabaseFixture.BaseConnectionString) { SearchPath = $"{schema},public" }.ConnectionString;
        await using (var connection = new NpgsqlConnection(DatabaseFixture.BaseConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA \"{schema}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            await using NpgsqlDataSource dataSource = SisomDataSource.Create(connectionString);
            await using (var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource)))
            {
                await db.GetService<IMigrator>().MigrateAsync("20261203185413_KnnScoreAndReferenceItems");
            }

            // The last schema before partitioning: a run with two scores (one with an embedding), and a row whose run
            // is gone (item_scores never had a foreign key).
            Guid run = Guid.NewGuid();
            Guid orphan = Guid.NewGuid();
            await ExecuteAsync(dataSource, $"""
                INSERT INTO pools (id, name, source_kind, source_uri, item_count) VALUES ('{run}', 'p', 'directory', '/p', 2);
                INSERT INTO runs (id, pool_id, model_name, model_version, shard_size, max_attempts, quantile, budget, state, store_embeddings, options)
                    VALUES ('{run}', '{run}', 'm', 'v', 10, 3, 0.95, 5, 'completed', false, jsonb_build_object());
                INSERT INTO item_scores (run_id, item_id, context_id, shard_id, predicted, d_in, ratio, energy, sisom, sisome, msp,
                    max_logit, entropy, margin, ood_sisom, ood_sisome, no_reference, scored_at, embedding, knn)
                VALUES ('{run}', 'a.png', '{run}', 0, 3, 1.5, 0.5, -2, 0.7, 0.6, 0.9, 4, 0.1, 0.2, false, true, false, now(), '[1,2,3]', 0.25),
                       ('{run}', 'b.png', '{run}', 0, 1, 2.5, 0.5, -2, 0.8, 0.6, 0.9, 4, 0.1, 0.2, true, false, false, now(), NULL, NULL),
                       ('{orphan}', 'c.png', '{run}', 0, 2, 3.5, 0.5, -2, 0.9, 0.6, 0.9, 4, 0.1, 0.2, false, false, false, now(), NULL, NULL);
                """);

            Assert.Equal("20261206040000_PartitionItemScores", (await MigrationRunner.MigrateAsync(connectionString))[0]); // later migrations follow it

            await using (var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource)))
            {
                List<ItemScore> scores = await db.ItemScores.OrderBy(s => s.ItemId).ToListAsync();
                Assert.Equal(["a.png", "b.png", "c.png"], scores.Select(s => s.ItemId));
                Assert.Equal([1f, 2f, 3f], scores[0].Embedding!.ToArray());
                Assert.Equal((3, 1.5, 0.25, true), (scores[0].Predicted, scores[0].DIn, scores[0].Knn!.Value, scores[0].OodSisome));
                Assert.Equal((orphan, 0.9), (scores[2].RunId, scores[2].Sisom));
            }

            Assert.Equal(2, await CountAsync(dataSource, $"SELECT count(*) FROM {ItemScorePartitions.Name(run)}"));
            Assert.Equal(1, await CountAsync(dataSource, $"SELECT count(*) FROM {ItemScorePartitions.Name(orphan)}"));
            Assert.Equal(0, await CountAsync(dataSource, "SELECT count(*) FROM pg_class WHERE relname = 'item_scores_unpartitioned'"));

            // A run created after the migration gets its partition from the trigger, and the key still refuses duplicates.
            Guid later = Guid.NewGuid();
            await ExecuteAsync(dataSource, $"""
                INSERT INTO runs (id, pool_id, model_name, model_version, shard_size, max_attempts, quantile, budget, state, store_embeddings, options)
                    VALUES ('{later}', '{run}', 'm', 'v', 10, 3, 0.95, 5, 'pending', false, jsonb_build_object())
                """);
            Assert.Equal(1, await CountAsync(dataSource, $"SELECT count(*) FROM pg_inherits WHERE inhrelid = '{ItemScorePartitions.Name(later)}'::regclass"));
            await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
                dataSource, $"INSERT INTO item_scores SELECT * FROM item_scores WHERE run_id = '{run}'"));
        }
        finally
        {
            await using var connection = new NpgsqlConnection(DatabaseFixture.BaseConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private async Task SetStateAsync(Guid runId, RunState state)
    {
        await using SisomDbContext db = _fixture.CreateDbContext();
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, state));
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
