using MassTransit;
using Microsoft.Extensions.Options;

namespace SisomCluster.Server.Coordinator;

/// <summary>
/// The coordinator's loop over pending runs: runs are requested by writing a row; this launches them. A launched run
/// whose context request went missing (the send failed after the shards were committed, or the message was lost or
/// parked) is asked for again once it has waited <see cref="CoordinatorOptions.RepublishSeconds"/> since this process
/// last asked (or first saw it waiting), so a lost <c>PrepareContext</c> never leaves a run pending forever.
/// </summary>
/// <remarks>
/// A context that takes longer than that to build is asked for twice; the second request builds it again or finds the
/// run running and changes nothing (<c>PrepareContextConsumer</c> starts only a pending run), so it costs work, not
/// correctness.
/// </remarks>
public sealed partial class PendingRunLauncher(IServiceScopeFactory scopes, IOptions<CoordinatorOptions> options, TimeProvider time, ILogger<PendingRunLauncher> logger) : BackgroundService
{
    private readonly Dictionary<Guid, DateTimeOffset> _asked = [];
    private DateTimeOffset _lastContextCheck = DateTimeOffset.MinValue;

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

                    _asked[launched.Value] = time.GetUtcNow();
                    LogLaunched(launched.Value);
                }

                await AskAgainAsync(stoppingToken).ConfigureAwait(false);
            }

            // Only the host's stop ends the loop: a cancellation from inside (an Npgsql or broker timeout surfacing as
            // OperationCanceledException while PostgreSQL or RabbitMQ is down) is one more failed pass, retried next tick.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogLaunchFailed(e);
            }
        }
    }

    private async Task AskAgainAsync(CancellationToken cancellationToken)
    {
        TimeSpan wait = TimeSpan.FromSeconds(options.Value.RepublishSeconds);
        DateTimeOffset now = time.GetUtcNow();
        if (now - _lastContextCheck < TimeSpan.FromSeconds(Math.Min(options.Value.RepublishSeconds, 10)))
        {
            return;
        }

        _lastContextCheck = now;
        using IServiceScope scope = scopes.CreateScope();
        RunLauncher launcher = scope.ServiceProvider.GetRequiredService<RunLauncher>();
        List<Guid> waiting = await launcher.AwaitingContextAsync(cancellationToken).ConfigureAwait(false);
        foreach (Guid gone in _asked.Keys.Except(waiting).ToList())
        {
            _asked.Remove(gone);
        }

        foreach (Guid runId in waiting)
        {
            if (!_asked.TryGetValue(runId, out DateTimeOffset asked))
            {
                // Asked by an earlier coordinator, perhaps moments ago: wait the full time before asking again.
                _asked[runId] = now;
            }
            else if (now - asked >= wait)
            {
                await launcher.RequestContextAsync(scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>(), runId, cancellationToken).ConfigureAwait(false);
                _asked[runId] = now;
                LogAskedAgain(runId, (int)(now - asked).TotalSeconds);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Launched run {RunId}")]
    private partial void LogLaunched(Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} has waited {Seconds} s for its scoring context: asked the aggregator again")]
    private partial void LogAskedAgain(Guid runId, int seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Launching a pending run failed")]
    private partial void LogLaunchFailed(Exception exception);
}
