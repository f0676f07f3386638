using MassTransit;

namespace SisomCluster.Server.Coordinator;

/// <summary>The coordinator's loop over pending runs: runs are requested by writing a row; this launches them.</summary>
public sealed partial class PendingRunLauncher(IServiceScopeFactory scopes, TimeProvider time, ILogger<PendingRunLauncher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                while (true)
                {
                    using IServiceScope scope = scopes.CreateScope();
                    Guid? launched = await scope.ServiceProvider.GetRequiredService<RunLauncher>()
                        .LaunchNextAsync(scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>(), stoppingToken).ConfigureAwait(false);
                    if (launched is null)
                    {
                        break;
                    }

                    LogLaunched(launched.Value);
                }
            }
            // Only the host's stop ends the loop: a cancellation from inside (an Npgsql or broker timeout surfacing as
            // OperationCanceledException while PostgreSQL or RabbitMQ is down) is one more failed pass, retried next tick.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogLaunchFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Launched run {RunId}")]
    private partial void LogLaunched(Guid runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Launching a pending run failed")]
    private partial void LogLaunchFailed(Exception exception);
}
