using Npgsql;
using SisomCluster.Data;

namespace SisomCluster.Lab.Bench;

/// <summary>A throw-away schema (<c>bench_&lt;guid&gt;</c>) migrated for one benchmark run and dropped afterwards.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _baseConnection;

    private BenchDatabase(string baseConnection, string schema, string connectionString)
    {
        _baseConnection = baseConnection;
        Schema = schema;
        ConnectionString = connectionString;
        DataSource = SisomDataSource.Create(connectionString);
    }

    public string Schema { get; }

    /// <summary>The connection string with <c>Search Path=schema,public</c> (pgvector's type lives in public).</summary>
    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<BenchDatabase> CreateAsync(string baseConnection, CancellationToken cancellationToken)
    {
        string schema = $"bench_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(baseConnection))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var create = new NpgsqlCommand($"CREATE SCHEMA \"{schema}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        string connectionString = new NpgsqlConnectionStringBuilder(baseConnection) { SearchPath = $"{schema},public" }.ConnectionString;
        await MigrationRunner.MigrateAsync(connectionString, cancellationToken).ConfigureAwait(false);
        return new BenchDatabase(baseConnection, schema, connectionString);
    }

    public SisomDbContext CreateDbContext() => new(SisomDbContext.CreateOptions(DataSource));

    public async Task<long> ScalarAsync(string sql, Guid runId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync().ConfigureAwait(false);

        // Unpooled: the server may have restarted since the schema was created (bench chaos stops it), which leaves
        // the pooled connection of CreateAsync dead.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_baseConnection) { Pooling = false }.ConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
