using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;

namespace SisomCluster.Data;

public static class SisomDataServiceCollectionExtensions
{
    /// <summary>
    /// Registers the shared <see cref="NpgsqlDataSource"/>, <see cref="SisomDbContext"/> (scoped) and the writers and queries
    /// (singletons: they hold nothing but the data source). Does not migrate: see <see cref="MigrationRunner"/>.
    /// </summary>
    public static IServiceCollection AddSisomData(this IServiceCollection services, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => SisomDataSource.Create(connectionString));
        services.AddDbContext<SisomDbContext>((provider, options) =>
            SisomDbContext.Configure(options, provider.GetRequiredService<NpgsqlDataSource>()));
        services.TryAddSingleton<ShardResultWriter>();
        services.TryAddSingleton<ItemRegistry>();
        services.TryAddSingleton<LabelImporter>();
        services.TryAddSingleton<ShardLeases>();
        return services;
    }
}
