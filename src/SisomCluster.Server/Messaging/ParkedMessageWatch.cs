using Microsoft.Extensions.Options;
using SisomCluster.Server.Telemetry;

namespace SisomCluster.Server.Messaging;

/// <summary>
/// Counts the <c>_error</c> and <c>_skipped</c> queues of every consumer endpoint (<see cref="SisomQueues.ParkingQueues"/>)
/// every <see cref="MessagingOptions.ParkedCheckSeconds"/>, records them as <c>sisom_error_queue_messages{queue}</c> and
/// keeps the last count for run status (ARCHITECTURE.md §3). A message parked there is not lost work: the coordinator's
/// sweep publishes its pending shard again; the count tells an operator that something keeps failing. A broker that
/// cannot be reached only skips a check.
/// </summary>
public sealed partial class ParkedMessageWatch(
    SisomQueues queues, BrokerQueueDepths depths, SisomMetrics metrics, IOptions<MessagingOptions> options, TimeProvider time, ILogger<ParkedMessageWatch> logger) : BackgroundService
{
    private ParkedMessageCounts? _latest;

    /// <summary>The last successful count, or null before the first.</summary>
    public ParkedMessageCounts? Latest => Volatile.Read(ref _latest);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.ParkedCheckSeconds), time);
        do
        {
            try
            {
                await CheckAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogCheckFailed(depths.Method, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    internal async Task<ParkedMessageCounts> CheckAsync(CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, long> counts = await depths.CountAsync(queues.ParkingQueues, cancellationToken).ConfigureAwait(false);
        var latest = new ParkedMessageCounts(counts, time.GetUtcNow());
        metrics.ParkedMessages(counts);

        if (latest.Total > 0 && (Latest?.Total ?? 0) != latest.Total)
        {
            LogParked(latest.Total, string.Join(", ", counts.Where(c => c.Value > 0).Select(c => $"{c.Key}: {c.Value}")));
        }

        Volatile.Write(ref _latest, latest);
        return latest;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} messages parked in error/skipped queues ({Queues}); pending shards are republished by the coordinator's sweep")]
    private partial void LogParked(long count, string queues);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Counting the parked messages ({Method}) failed")]
    private partial void LogCheckFailed(string method, Exception exception);
}
