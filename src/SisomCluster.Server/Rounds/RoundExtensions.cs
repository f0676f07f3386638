using SisomCluster.Server.Runs;

namespace SisomCluster.Server.Rounds;

/// <summary>Registers the <see cref="RoundStarter"/> behind <c>POST /api/v1/rounds</c>, once.</summary>
public static class RoundExtensions
{
    public static IHostApplicationBuilder AddRounds(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddRunCreation();
        if (!builder.Services.Any(d => d.ServiceType == typeof(RoundStarter)))
        {
            builder.Services.AddScoped<RoundStarter>();
        }

        return builder;
    }
}
