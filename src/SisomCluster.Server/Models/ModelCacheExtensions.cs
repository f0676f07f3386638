namespace SisomCluster.Server.Models;

/// <summary>Registers the process's <see cref="ModelCache"/> (and <see cref="ModelRegistry"/>) once, however many roles that run a model (worker, aggregator) ask for it.</summary>
public static class ModelCacheExtensions
{
    public static IHostApplicationBuilder AddModelCache(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(ModelCache)))
        {
            builder.Services.AddSingleton<ModelCache>();
        }

        return builder.AddModelRegistry();
    }

    /// <summary>Registers the <see cref="ModelRegistry"/> once (the api role checks run models with it, workers load through it).</summary>
    public static IHostApplicationBuilder AddModelRegistry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(ModelRegistry)))
        {
            builder.Services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddOptions<ModelDirectoryOptions>().BindConfiguration(ModelDirectoryOptions.SectionName);
            builder.Services.AddSingleton<ModelRegistry>();
        }

        return builder;
    }
}
