using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace SisomCluster.Data;

/// <summary>
/// Applies the EF Core migrations: the body of <c>sisom-server migrate</c> and of the Helm pre-install/pre-upgrade Job. Migrations
/// are an explicit step and never run as a side effect of a role starting (STYLE.md "Data"): N pods starting at once
/// must not race to alter the schema, and a schema change should be something an operator sees happen.
/// </summary>
public static class MigrationRunner
{
    /// <returns>The migrations that were applied now (empty when the database was up to date).</returns>
    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        NpgsqlDataSource dataSource = SisomDataSource.Create(connectionString);
        await using (dataSource.ConfigureAwait(false))
        {
            SisomDbContext context = new(SisomDbContext.CreateOptions(dataSource));
            await using (context.ConfigureAwait(false))
            {
                List<string> pending = [.. await context.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)];
                await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
                return pending;
            }
        }
    }
}
