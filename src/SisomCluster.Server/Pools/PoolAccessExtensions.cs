namespace SisomCluster.Server.Pools;

/// <summary>Registers <see cref="PoolAccess"/> (and its <see cref="PoolOptions"/>) once, for every role.</summary>
public static class PoolAccessExtensions
{
    public static IHostApplicationBuilder AddPoolAccess(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(PoolAccess)))
        {
            builder.Services.AddOptions<PoolOptions>().BindConfiguration(PoolOptions.SectionName);
            builder.Services.AddOptions<S3Options>().BindConfiguration(S3Options.SectionName).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddSingleton<PoolAccess>();
        }

        return builder;
    }
}
