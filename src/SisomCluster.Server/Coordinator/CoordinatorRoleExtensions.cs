using MassTransit;

namespace SisomCluster.Server.Coordinator;

/// <summary>The coordinator role (ARCHITECTURE.md §2): launches pending runs into shards, publishes them, re-issues expired leases.</summary>
public static class CoordinatorRoleExtensions
{
    public static IHostApplicationBuilder AddCoordinatorRole(this IHostApplicationBuilder builder, IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(bus);
        builder.Services.AddOptions<CoordinatorOptions>().BindConfiguration(CoordinatorOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<RunLauncher>();
        builder.Services.AddScoped<ShardPublisher>();
        builder.Services.AddHostedService<LeaseMonitor>();
        builder.Services.AddHostedService<PendingRunLauncher>();
        bus.AddConsumer<ContextReadyConsumer>();
        return builder;
    }
}
