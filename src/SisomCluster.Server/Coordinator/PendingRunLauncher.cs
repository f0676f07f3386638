using System.Diagnostics;
using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Coordinator;

/// <summary>
/// The coordinator's loop over pending runs: runs are requested by writing a row; this launches them — at once when
/// the request's announcement arrives (<see cref="RunAnnouncements"/>, PostgreSQL <c>LISTEN</c>), otherwise at the next poll
/// (<see cref="CoordinatorOptions.LaunchPollSeconds"/>). A launched run
/// whose context request went missing (the send failed after the shards were committed, or the message was lost or
/// parked) is asked for again once it has waited <see cref="CoordinatorOptions.RepublishSeconds"/> since this process
/// last asked (or first saw it waiting), so a lost <c>PrepareContext</c> never leaves a run pending forever.
/// </summary>
/// <remarks>
/// A context that takes longer than that to build is asked for twice; the second request builds it again or finds the
/// run running and changes nothing (<c>PrepareContextConsumer</c> starts only a pending run), so it costs work, not
/// correctness.
/// </remarks>
/// <param name="announcements">Where to listen for run requests; null: poll only.</param>
public sealed partial class PendingRunLauncher(
    IServiceScopeFactory scopes, IOptions<CoordinatorOptions> options, TimeProvider time, ILogger<PendingRunLauncher> logger, NpgsqlDataSource? announcements = null)
    : BackgroundService
{
    /// <summary>How long a lost listening connection waits before it listens again (the poll goes on meanwhile).</summary>
    private static readonly TimeSpan ListenRetry = TimeSpan.FromSeconds(5);

    private readonly Dictionary<Guid, DateTimeOffset> _asked = [];
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private DateTimeOffset _lastContextCheck = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Task listening = announcements is null ? Task.CompletedTask : ListenAsync(announcements, stoppingToken);
        try
        {
            TimeSpan poll = TimeSpan.FromSeconds(options.Value.LaunchPollSeconds);
            while (true)
            {
                await WaitForWorkAsync(poll, stoppingToken).ConfigureAwait(false);
                try
                {
                    while (true)
                    {
                        using IServiceScope scope = scopes.CreateScope();
                        long started = Stopwatch.GetTimestamp();
                        Guid? launched = await scope.ServiceProvider.GetRequiredService<RunLauncher>()
                            .LaunchNextAsync(scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>(), stoppingToken).ConfigureAwait(false);
                        if (launched is null)
                        {
                            break;
                        }

                        _asked[launched.Value] = time.GetUtcNow();
                        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                        LogLaunched(launched.Value, seconds);
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
        finally
        {
            await listening.ConfigureAwait(false);
        }
    }

    /// <summary>Returns after <paramref name="poll"/> or as soon as a run request is announced, whichever comes first.</summary>
    private async Task WaitForWorkAsync(TimeSpan poll, CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(poll, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            await _wake.Reader.ReadAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The poll's turn.
        }
    }

    private async Task ListenAsync(NpgsqlDataSource dataSource, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunAnnouncements.ListenAsync(dataSource, _ => _wake.Writer.TryWrite(true), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                string reason = e.Message;
                LogListenLost(reason, (int)ListenRetry.TotalSeconds);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(ListenRetry, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Launched run {RunId}: shards listed, stored and the context asked for in {Seconds:F2} s")]
    private partial void LogLaunched(Guid runId, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not listening for run requests ({Reason}): launching at the poll only; listening again in {Seconds} s")]
    private partial void LogListenLost(string reason, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} has waited {Seconds} s for its scoring context: asked the aggregator again")]
    private partial void LogAskedAgain(Guid runId, int seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Launching a pending run failed")]
    private partial void LogLaunchFailed(Exception exception);
}
