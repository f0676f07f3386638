using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SisomCluster.Server.Telemetry;

/// <summary>
/// OpenTelemetry for every role: metrics always (scraped at <c>/metrics</c>, and pushed over OTLP when an endpoint is
/// set); traces and logs over OTLP only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set — without an exporter, recording
/// spans for every message and SQL command would be cost with no reader.
/// </summary>
public static class TelemetryExtensions
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public const string MetricsPath = "/metrics";

    /// <param name="roles">The process's roles, as the <c>sisom.roles</c> resource attribute shows them.</param>
    public static IHostApplicationBuilder AddSisomTelemetry(this IHostApplicationBuilder builder, string roles)
    {
        ArgumentNullException.ThrowIfNull(builder);
        bool otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        builder.Services.AddSingleton<SisomMetrics>();
        builder.Services.AddSingleton<RunShardGauge>();

        IOpenTelemetryBuilder telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "sisom-server", serviceInstanceId: Environment.MachineName)
                .AddAttributes([new KeyValuePair<string, object>("sisom.roles", roles)]))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SisomTelemetry.MeterName, SisomTelemetry.MassTransitName).AddNpgsqlInstrumentation().AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });

        if (otlp)
        {
            telemetry
                .WithTracing(tracing => tracing.AddSource(SisomTelemetry.WorkerSourceName, SisomTelemetry.MassTransitName).AddNpgsql().AddOtlpExporter())
                .WithLogging(logging => logging.AddOtlpExporter(), options =>
                {
                    options.IncludeFormattedMessage = true;
                    options.IncludeScopes = true;
                });
        }

        return builder;
    }

    /// <summary>The Prometheus scrape endpoint, on the server's HTTP port; the caller decides whether it needs a key.</summary>
    public static IEndpointConventionBuilder MapSisomTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapPrometheusScrapingEndpoint(MetricsPath);
    }
}
