using MassTransit;
using SisomCluster.Data;
using SisomCluster.Server.Aggregator;
using SisomCluster.Server.Api;
using SisomCluster.Server.Coordinator;
using SisomCluster.Server.Dashboard;
using SisomCluster.Server.Telemetry;
using SisomCluster.Server.Worker;

namespace SisomCluster.Server.Hosting;

/// <summary>Registers the roles a process plays, the database and the bus (one bus, consumers by role).</summary>
public static class ServerHostExtensions
{
    public static IHostApplicationBuilder AddSisomServer(this IHostApplicationBuilder builder, ServerRoles roles)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string database = builder.Configuration.GetConnectionString("Sisom")
            ?? throw new InvalidOperationException("ConnectionStrings:Sisom is not set (ConnectionStrings__Sisom; export $(deploy/local/services.sh env)).");
        string rabbit = builder.Configuration.GetConnectionString("RabbitMq")
            ?? throw new InvalidOperationException("ConnectionStrings:RabbitMq is not set (ConnectionStrings__RabbitMq).");
        builder.Services.AddSingleton(new ServerRoleSet(roles));
        builder.Services.AddHealthChecks();
        builder.Services.AddSisomData(database);
        builder.AddSisomTelemetry(roles);
        builder.Services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<CoordinatorOptions>().BindConfiguration(CoordinatorOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<AggregatorOptions>().BindConfiguration(AggregatorOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<WorkerRuntime>();
        builder.Services.AddScoped<RunLauncher>();
        builder.Services.AddScoped<RunFinalizer>();
        builder.Services.AddScoped<ShardPublisher>();
        if (roles.HasFlag(ServerRoles.Coordinator))
        {
            builder.Services.AddHostedService<LeaseMonitor>();
            builder.Services.AddHostedService<PendingRunLauncher>();
        }

        if (roles.HasFlag(ServerRoles.Aggregator))
        {
            builder.Services.AddHostedService<RunSweeper>();
        }

        if (roles.HasFlag(ServerRoles.Api))
        {
            builder.AddApiRole();
            builder.Services.AddSingleton<ThumbnailCache>();
        }

        string prefix = builder.Configuration["Server:QueuePrefix"] ?? "sisom";
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        builder.Services.AddMassTransit(bus =>
        {
            // No calls home: the cluster runs where nothing outside may be reached.
            bus.DisableUsageTelemetry();
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(prefix, includeNamespace: false));
            if (roles.HasFlag(ServerRoles.Coordinator))
            {
                bus.AddConsumer<ContextReadyConsumer>();
            }

            if (roles.HasFlag(ServerRoles.Worker))
            {
                bus.AddConsumer<ScoreShardConsumer, ScoreShardConsumerDefinition>();
            }

            if (roles.HasFlag(ServerRoles.Aggregator))
            {
                bus.AddConsumer<PrepareContextConsumer>();
                bus.AddConsumer<RunProgressConsumer>();
            }

            bus.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(new Uri(rabbit));

                // MassTransit's meter (messaging_masstransit_* at /metrics) records only once enabled; its spans need nothing.
                cfg.UseInstrumentation(serviceName: "sisom-server");
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    public static WebApplication MapSisomServer(this WebApplication app, ServerRoles roles)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/healthz");
        app.MapSisomTelemetry();
        app.MapGet("/roles", () => Results.Ok(roles.ToString()));
        if (roles.HasFlag(ServerRoles.Api))
        {
            app.MapApiRole();
            app.MapDashboard().RequireAuthorization(Data.Access.ApiScopes.Read);
        }

        return app;
    }
}
