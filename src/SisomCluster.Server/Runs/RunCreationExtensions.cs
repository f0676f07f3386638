using SisomCluster.Server.Models;

namespace SisomCluster.Server.Runs;

/// <summary>Registers the <see cref="RunCreator"/> behind <c>POST /api/v1/runs</c>, once.</summary>
public static class RunCreationExtensions
{
    public static IHostApplicationBuilder AddRunCreation(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(RunCreator)))
        {
            builder.Services.AddOptions<RunOptions>().BindConfiguration(RunOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddScoped<RunCreator>();
        }

        builder.AddModelRegistry();

        return builder;
    }
}
