using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace SisomCluster.Data.Tests.Infrastructure;

/// <summary>
/// One schema per test class: <c>t_&lt;guid&gt;</c> in the test database, migrated with <see cref="MigrationRunner"/>, with
/// <c>Search Path=t_x,public</c> so that pgvector's type (installed in public) resolves; dropped when the class is done.
/// </summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    public const string ConnectionStringVariable = "ConnectionStrings__SisomTest";

    public const string LocalConnectionString = "Host=127.0.0.1;Port=55432;Database=sisom_test;Username=sisom;Password=sisom";

    private NpgsqlDataSource? _dataSource;

    public string Schema { get; } = $"t_{Guid.NewGuid():N}";

    public string ConnectionString { get; private set; } = "";

    public IReadOnlyList<string> AppliedMigrations { get; private set; } = [];

    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("The fixture is not initialised.");

    public static string BaseConnectionString =>
        Environment.GetEnvironmentVariable(ConnectionStringVariable) is { Length: > 0 } value ? value : LocalConnectionString;

    public async Task InitializeAsync()
    {
        await using (var connection = new NpgsqlConnection(BaseConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA \"{Schema}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(BaseConnectionString) { SearchPath = $"{Schema},public" }.ConnectionString;
        AppliedMigrations = await MigrationRunner.MigrateAsync(ConnectionString);
        _dataSource = SisomDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        await using var connection = new NpgsqlConnection(BaseConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }

    public SisomDbContext CreateDbContext() => new(SisomDbContext.CreateOptions(DataSource));

    /// <summary>Rows of <paramref name="table"/> that belong to run <paramref name="runId"/>.</summary>
    public Task<long> CountForRunAsync(string table, Guid runId) => CountAsync($"SELECT count(*) FROM {table} WHERE run_id = $1", runId);

    public async Task<long> CountAsync(string sql, params object[] parameters)
    {
        await using NpgsqlCommand command = DataSource.CreateCommand(sql);
        foreach (object parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
