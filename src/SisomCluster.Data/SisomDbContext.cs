using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pgvector.EntityFrameworkCore;
using SisomCluster.Data.Access;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Model;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Rounds;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Scoring;

namespace SisomCluster.Data;

/// <summary>
/// The EF Core model of the SisomCluster database (ARCHITECTURE.md §6). Everything but the hot paths goes through it; the
/// result and item writers use binary COPY on the same <see cref="NpgsqlDataSource"/>.
/// </summary>
public sealed class SisomDbContext : DbContext
{
    public const string MigrationsHistoryTable = "__EFMigrationsHistory";

    public SisomDbContext(DbContextOptions<SisomDbContext> options)
        : base(options)
    {
    }

    public DbSet<Pool> Pools => Set<Pool>();

    public DbSet<Item> Items => Set<Item>();

    public DbSet<Run> Runs => Set<Run>();

    public DbSet<Shard> Shards => Set<Shard>();

    public DbSet<ScoringContext> ScoringContexts => Set<ScoringContext>();

    public DbSet<ReferenceItem> ReferenceItems => Set<ReferenceItem>();

    public DbSet<ReferenceStateRow> ReferenceStates => Set<ReferenceStateRow>();

    public DbSet<ItemLabel> Labels => Set<ItemLabel>();

    public DbSet<ItemScore> ItemScores => Set<ItemScore>();

    public DbSet<ItemError> ItemErrors => Set<ItemError>();

    public DbSet<Selection> Selections => Set<Selection>();

    public DbSet<Threshold> Thresholds => Set<Threshold>();

    public DbSet<DriftPoint> DriftPoints => Set<DriftPoint>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<Round> Rounds => Set<Round>();

    public DbSet<Aggregates.ShardAggregate> ShardAggregates => Set<Aggregates.ShardAggregate>();

    public DbSet<Aggregates.ShardCandidate> ShardCandidates => Set<Aggregates.ShardCandidate>();

    public DbSet<Aggregates.ShardHistogram> ShardHistograms => Set<Aggregates.ShardHistogram>();

    public DbSet<Aggregates.ShardDriftCount> ShardDriftCounts => Set<Aggregates.ShardDriftCount>();

    /// <summary>Points EF Core at <paramref name="dataSource"/> (made by <see cref="SisomDataSource.Create"/>).</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder, NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        string? schema = HistorySchema(dataSource.ConnectionString);
        return builder.UseNpgsql(dataSource, npgsql =>
        {
            npgsql.UseVector();
            npgsql.MigrationsHistoryTable(MigrationsHistoryTable, schema);
        });
    }

    public static DbContextOptions<SisomDbContext> CreateOptions(NpgsqlDataSource dataSource) =>
        (DbContextOptions<SisomDbContext>)Configure(new DbContextOptionsBuilder<SisomDbContext>(), dataSource).Options;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasPostgresExtension("vector");
        PoolsModel.Configure(modelBuilder);
        RunsModel.Configure(modelBuilder);
        ScoringModel.Configure(modelBuilder);
        LabelsModel.Configure(modelBuilder);
        ResultsModel.Configure(modelBuilder);
        MonitoringModel.Configure(modelBuilder);
        ApiKeysModel.Configure(modelBuilder);
        RoundsModel.Configure(modelBuilder);

        Aggregates.AggregatesModel.Configure(modelBuilder);
        SnakeCaseNaming.Apply(modelBuilder);
    }

    /// <summary>
    /// The tables are created unqualified, in the first schema of the search path. Npgsql looks for the history table in
    /// <c>public</c> unless told otherwise, so with <c>Search Path=t_x,public</c> (one schema per test class, or per tenant)
    /// it would read another schema's history and skip the migrations; keep the history next to the tables instead.
    /// </summary>
    internal static string? HistorySchema(string? connectionString)
    {
        string? searchPath = new NpgsqlConnectionStringBuilder(connectionString).SearchPath;
        if (string.IsNullOrWhiteSpace(searchPath))
        {
            return null;
        }

        string first = searchPath.Split(',')[0].Trim().Trim('"');
        return first.Length == 0 || first.StartsWith('$') ? null : first;
    }
}
