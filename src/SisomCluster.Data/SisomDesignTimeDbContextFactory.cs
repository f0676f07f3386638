using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Pgvector.EntityFrameworkCore;

namespace SisomCluster.Data;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the model without a host: the project is a library. The connection string is
/// only used by commands that talk to a database (<c>dotnet ef database update</c>); adding a migration needs none.
/// </summary>
public sealed class SisomDesignTimeDbContextFactory : IDesignTimeDbContextFactory<SisomDbContext>
{
    public const string ConnectionStringVariable = "ConnectionStrings__Sisom";

    public const string LocalConnectionString = "Host=127.0.0.1;Port=55432;Database=sisom;Username=sisom;Password=sisom";

    public SisomDbContext CreateDbContext(string[] args)
    {
        string connectionString = Environment.GetEnvironmentVariable(ConnectionStringVariable) ?? LocalConnectionString;
        DbContextOptions<SisomDbContext> options = new DbContextOptionsBuilder<SisomDbContext>()
            .UseNpgsql(connectionString, npgsql =>
            {
                npgsql.UseVector();
                npgsql.MigrationsHistoryTable(SisomDbContext.MigrationsHistoryTable, SisomDbContext.HistorySchema(connectionString));
            })
            .Options;
        return new SisomDbContext(options);
    }
}
