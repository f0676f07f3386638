using MassTransit;
using SisomCluster.Server.Models;

namespace SisomCluster.Server.Aggregator;

/// <summary>
/// The aggregator role (ARCHITECTURE.md §2): builds scoring contexts (embedding the labeled items, hence the model
/// cache), folds shard events into run progress and finalises runs.
/// </summary>
public static class AggregatorRoleExtensions
{
    public static IHostApplicationBuilder AddAggregatorRole(this IHostApplicationBuilder builder, IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(bus);
        builder.Services.AddOptions<AggregatorOptions>().BindConfiguration(AggregatorOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.AddModelCache();
        builder.Services.AddScoped<RunFinalizer>();
        builder.Services.AddHostedService<RunSweeper>();
        builder.Services.AddHostedService<RoundSweeper>();
        bus.AddConsumer<PrepareContextConsumer>();
        bus.AddConsumer<RunProgressConsumer>();
        return builder;
    }
}
