namespace SisomCluster.Server.Pools;

/// <summary>Registers <see cref="PoolAccess"/> (and its <see cref="PoolOptions"/>) once, for every role.</summary>
public static class PoolAccessExtensions
{
    public static IHostApplicationBuilder AddPoolAccess(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(PoolAccess)))
        {
            builder.Services.AddOptions<PoolOptions>().BindConfiguration(PoolOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

            // http(s) manifest items: no redirects (a redirect could lead to a host not in Pools__AllowedHosts); the
            // reader applies its own per-attempt timeout and retries, so the client's own timeout is off.
            builder.Services.AddHttpClient(Inference.Sources.HttpItemReader.ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
            builder.Services.AddOptions<S3Options>().BindConfiguration(S3Options.SectionName).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddSingleton<PoolAccess>();
        }

        return builder;
    }
}
