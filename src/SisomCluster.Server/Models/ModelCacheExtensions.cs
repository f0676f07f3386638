namespace SisomCluster.Server.Models;

/// <summary>Registers the process's <see cref="ModelCache"/> once, however many roles that run a model (worker, aggregator) ask for it.</summary>
public static class ModelCacheExtensions
{
    public static IHostApplicationBuilder AddModelCache(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(ModelCache)))
        {
            builder.Services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddSingleton<ModelCache>();
        }

        return builder;
    }
}
