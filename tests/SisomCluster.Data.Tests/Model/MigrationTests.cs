using Microsoft.EntityFrameworkCore;
using Pgvector;
using SisomCluster.Data.Results;
using SisomCluster.Data.Scoring;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Model;

public sealed class MigrationTests : IClassFixture<DatabaseFixture>
{
    private readonly DatabaseFixture _fixture;

    public MigrationTests(DatabaseFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public async Task Migrations_create_every_table_in_an_empty_schema()
    {
        await using (SisomDbContext db = _fixture.CreateDbContext())
        {
            Assert.Equal(db.Database.GetMigrations(), _fixture.AppliedMigrations);
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        }

        var tables = new List<string>();
        await using (var command = _fixture.DataSource.CreateCommand(
            "SELECT table_name FROM information_schema.tables t WHERE table_schema = $1 "
            + "AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = t.table_name AND c.relnamespace = t.table_schema::text::regnamespace AND c.relispartition) "
            + "ORDER BY table_name"))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _fixture.Schema });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        string[] expected =
        [
            "__EFMigrationsHistory", "api_keys", "drift_points", "item_errors", "item_scores", "items", "labels", "pools", "reference_items",
            "reference_states", "rounds", "runs", "scoring_contexts", "selections", "shard_aggregates", "shard_candidates", "shard_drift", "shard_histograms",
            "shards", "thresholds",
        ];
        Assert.Equal(expected, tables);
    }

    [Fact]
    public async Task Migrating_again_applies_nothing()
    {
        Assert.Empty(await MigrationRunner.MigrateAsync(_fixture.ConnectionString));
    }

    [Fact]
    public async Task Columns_and_indexes_have_snake_case_names()
    {
        Assert.Equal(1, await _fixture.CountAsync(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'shards' AND column_name = 'lease_expires_at'",
            _fixture.Schema));
        Assert.Equal(1, await _fixture.CountAsync(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = 'ix_shards_state_lease_expires_at'",
            _fixture.Schema));
        Assert.Equal(1, await _fixture.CountAsync(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'scoring_contexts' AND column_name = 'r_avg'",
            _fixture.Schema));
    }

    [Fact]
    public async Task Vector_columns_round_trip_a_float_array()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid contextId = await Seed.ContextAsync(_fixture, poolId);
        Guid runId = await Seed.RunAsync(_fixture, poolId);
        float[] embedding = [0.25f, -1.5f, 3.0e-7f, float.MaxValue, 0f];
        float[] state = [1f, 2f, 3f, 4f];

        await using (SisomDbContext db = _fixture.CreateDbContext())
        {
            db.ItemScores.Add(new ItemScore
            {
                RunId = runId,
                ItemId = "a.png",
                ContextId = contextId,
                DIn = 1.0,
                ScoredAt = DateTimeOffset.UtcNow,
                Embedding = new Vector(embedding),
            });
            db.ReferenceItems.Add(new ReferenceItem { ContextId = contextId, ItemId = "r.png", Label = 3, State = new Vector(state), Margin = 0.5 });
            await db.SaveChangesAsync();
        }

        await using (SisomDbContext db = _fixture.CreateDbContext())
        {
            ItemScore score = await db.ItemScores.SingleAsync(s => s.RunId == runId);
            Assert.Equal(embedding, score.Embedding!.ToArray());
            ReferenceItem reference = await db.ReferenceItems.SingleAsync(r => r.ContextId == contextId);
            Assert.Equal(state, reference.State.ToArray());
        }
    }
}
