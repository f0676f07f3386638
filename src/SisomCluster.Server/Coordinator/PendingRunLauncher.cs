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
                        .LaunchNextAsync(scope.ServiceProvider.GetRequiredService<IPublishEndpoint>(), stoppingToken).ConfigureAwait(false);
                    if (launched is null)
                    {
                        break;
                    }

                    LogLaunched(launched.Value);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
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
