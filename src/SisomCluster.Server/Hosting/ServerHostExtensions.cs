using MassTransit;
using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Server.Aggregator;
using SisomCluster.Server.Api;
using SisomCluster.Server.Coordinator;
using SisomCluster.Server.Dashboard;
using SisomCluster.Server.Messaging;
using SisomCluster.Server.Models;
using SisomCluster.Server.Pools;
using SisomCluster.Server.Rounds;
using SisomCluster.Server.Runs;
using SisomCluster.Server.Telemetry;
using SisomCluster.Server.Worker;

namespace SisomCluster.Server.Hosting;

/// <summary>
/// Registers the database, telemetry, the bus and only the roles this process plays (one bus, consumers by role):
/// each role's services and consumers come from its own <c>Add…Role</c> method.
/// </summary>
public static class ServerHostExtensions
{
    public static IHostApplicationBuilder AddSisomServer(this IHostApplicationBuilder builder, ServerRoles roles)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string database = builder.Configuration.GetConnectionString("Sisom")
            ?? throw new InvalidOperationException("ConnectionStrings:Sisom is not set (ConnectionStrings__Sisom; export $(deploy/local/services.sh env)).");
        string rabbit = builder.Configuration.GetConnectionString("RabbitMq")
            ?? throw new InvalidOperationException("ConnectionStrings:RabbitMq is not set (ConnectionStrings__RabbitMq).");
        builder.Services.AddHealthChecks();
        builder.Services.AddSisomData(database);
        builder.AddSisomTelemetry(roles.ToString());
        builder.AddPoolAccess();
        if (roles.HasFlag(ServerRoles.Api))
        {
            builder.AddApiRole();

            // POST /api/v1/runs writes a pending run; the coordinator, wherever it runs, launches it.
            builder.AddRunCreation();

            // POST /api/v1/rounds imports labels and writes the round with its run; the aggregator's sweep moves it on.
            builder.AddRounds();
        }

        // One set of queue names for every role: the worker's endpoints and the coordinator's sends agree by construction.
        var queues = new SisomQueues(builder.Configuration["Server:QueuePrefix"] ?? "sisom");
        builder.Services.AddSingleton(queues);
        if (roles.HasFlag(ServerRoles.Coordinator) || roles.HasFlag(ServerRoles.Api))
        {
            // The coordinator watches the parking queues for /metrics; the api for run status (it may run alone).
            builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddSingleton(sp => new BrokerQueueDepths(new Uri(rabbit), sp.GetRequiredService<IOptions<MessagingOptions>>().Value.ManagementUrl));
            builder.Services.AddSingleton<ParkedMessageWatch>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ParkedMessageWatch>());
        }

        // A stopping process (a worker scaled in: SIGTERM) lets the message in hand finish until shortly before the host's
        // ShutdownTimeout (configuration shutdownTimeoutSeconds, default 30 s), then cancels it, so that a worker still
        // busy abandons its shard's lease (re-issued by the coordinator at once) before the process exits, instead of
        // leaving it to run out (README "Deploying": scale-in).
        builder.Services.AddOptions<MassTransitHostOptions>().Configure<IOptions<HostOptions>>((o, host) =>
        {
            o.WaitUntilStarted = true;
            o.ConsumerStopTimeout = ConsumerStopTimeout(host.Value.ShutdownTimeout);
        });
        builder.Services.AddMassTransit(bus =>
        {
            // No calls home: the cluster runs where nothing outside may be reached.
            bus.DisableUsageTelemetry();
            bus.SetEndpointNameFormatter(queues.Formatter);

            // Each role registers its services and its consumers; a process gets only the roles it plays.
            if (roles.HasFlag(ServerRoles.Coordinator))
            {
                builder.AddCoordinatorRole(bus);
            }

            if (roles.HasFlag(ServerRoles.Worker))
            {
                builder.AddWorkerRole(bus);
            }

            if (roles.HasFlag(ServerRoles.Aggregator))
            {
                builder.AddAggregatorRole(bus);
            }

            bus.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(new Uri(rabbit), host =>
                {
                    // A send or publish completes only once the broker has taken the message (publisher confirms), so a
                    // ScoreShard stamped published_at is on a durable queue, and one the broker refused throws and stays
                    // unstamped for the next sweep. MassTransit's default, set here because the sweep relies on it.
                    host.PublisherConfirmation = true;
                });

                // Published events stay inside this cluster: their exchanges carry the queue prefix like the queues do.
                cfg.MessageTopology.SetEntityNameFormatter(new PrefixedEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter, queues.Prefix));

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
        IEndpointConventionBuilder metrics = app.MapSisomTelemetry();
        IEndpointConventionBuilder roleList = app.MapGet("/roles", () => Results.Ok(roles.ToString()));
        if (roles.HasFlag(ServerRoles.Api))
        {
            // Only the api role has keys; without it these stay open (worker/coordinator ports are cluster-internal).
            if (app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.ProtectOperationalEndpoints)
            {
                metrics.RequireAuthorization(ApiScopes.Read);
                roleList.RequireAuthorization(ApiScopes.Read);
            }

            app.MapApiRole();
            app.MapDashboard();
        }

        return app;
    }

    /// <summary>The host's shutdown timeout less a margin for the abandon (at most 5 s, at most half of it).</summary>
    internal static TimeSpan ConsumerStopTimeout(TimeSpan shutdownTimeout) =>
        shutdownTimeout - TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, shutdownTimeout.Ticks / 2));
}
