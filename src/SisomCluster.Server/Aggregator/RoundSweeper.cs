using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Server.Rounds;

namespace SisomCluster.Server.Aggregator;

/// <summary>
/// Moves rounds on when their runs end (<see cref="RoundProgress"/>), every <c>Aggregator__SweepSeconds</c>. The state is in
/// <c>rounds</c>, so a restarted aggregator picks up every round still running.
/// </summary>
public sealed partial class RoundSweeper(IServiceScopeFactory scopes, IOptions<AggregatorOptions> options, TimeProvider time, ILogger<RoundSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                using IServiceScope scope = scopes.CreateScope();
                int moved = await RoundProgress.AdvanceAsync(scope.ServiceProvider.GetRequiredService<SisomDbContext>(), time.GetUtcNow(), cancellationToken: stoppingToken).ConfigureAwait(false);
                if (moved > 0)
                {
                    LogRoundsMoved(moved);
                }
            }
            // As the run sweep: only the host's stop ends the loop; a failed pass (PostgreSQL away) is retried next tick.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} round(s) moved on from their runs")]
    private partial void LogRoundsMoved(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Round sweep failed")]
    private partial void LogSweepFailed(Exception exception);
}
