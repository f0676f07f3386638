using MassTransit;
using SisomCluster.Server.Models;

namespace SisomCluster.Server.Worker;

/// <summary>The worker role (ARCHITECTURE.md §2): scores one shard at a time from <c>ScoreShard</c> messages.</summary>
public static class WorkerRoleExtensions
{
    public static IHostApplicationBuilder AddWorkerRole(this IHostApplicationBuilder builder, IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(bus);
        builder.Services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.AddModelCache();
        builder.Services.AddSingleton<WorkerRuntime>();
        bus.AddConsumer<ScoreShardConsumer, ScoreShardConsumerDefinition>();
        return builder;
    }
}
