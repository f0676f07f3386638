using System.Net.Sockets;
using Npgsql;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Worker;

/// <summary>
/// Keeps one worker's lease on one shard attempt alive while it works (ARCHITECTURE.md §3): renews it every third of
/// the lease. A transient database fault (PostgreSQL restarting, a refused, broken or timed-out connection) is retried
/// with short backoff for as long as a renewal could still land before the lease ends. The shard's work is cancelled at
/// once (<see cref="Lost"/> says why) when the lease is gone (re-issued, or the shard finished elsewhere), when it cannot
/// be renewed before it runs out, or on a fault that retrying cannot cure; the consumer then does not commit.
/// </summary>
internal sealed partial class LeaseHeartbeat
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);

    private readonly ShardLeases _leases;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ShardLease _lease;
    private readonly TimeSpan _leaseFor;
    private DateTimeOffset _expiresAt;
    private int _lost;

    public LeaseHeartbeat(ShardLeases leases, TimeProvider time, ILogger logger, ShardLease lease, TimeSpan leaseFor)
    {
        _leases = leases;
        _time = time;
        _logger = logger;
        _lease = lease;
        _leaseFor = leaseFor;
        _expiresAt = lease.ExpiresAt;
    }

    /// <summary>Why the work was cancelled; null while the lease is held.</summary>
    public LeaseLoss? Lost => Volatile.Read(ref _lost) is 0 ? null : (LeaseLoss)_lost;

    /// <summary>Whether the lease is still this worker's as far as it knows: not lost, and renewed until after now.</summary>
    public bool Holds => Lost is null && _time.GetUtcNow() < _expiresAt;

    /// <summary>Renews until <paramref name="stop"/>; cancels <paramref name="work"/> when the lease is lost or cannot be renewed.</summary>
    public async Task RunAsync(CancellationTokenSource work, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var timer = new PeriodicTimer(_leaseFor / 3, _time);
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
        {
            if (await RenewAsync(stop).ConfigureAwait(false) is { } loss)
            {
                Volatile.Write(ref _lost, (int)loss);
                await work.CancelAsync().ConfigureAwait(false);
                return;
            }
        }
    }

    /// <returns>Null when renewed; otherwise why the lease is over for this worker.</returns>
    private async Task<LeaseLoss?> RenewAsync(CancellationToken stop)
    {
        TimeSpan backoff = FirstRetry;
        for (int failures = 0; ; failures++)
        {
            DateTimeOffset at = _time.GetUtcNow();
            TimeSpan left = _expiresAt - at;
            if (left <= TimeSpan.Zero)
            {
                LogCannotRenew(_lease.RunId, _lease.ShardId, _lease.Attempt, failures);
                return LeaseLoss.Expired;
            }

            // A renewal that has not answered by the time the lease ends is too late whatever it says: a hung
            // connection must not keep the work going past the lease.
            using var late = new CancellationTokenSource(left, _time);
            using var call = CancellationTokenSource.CreateLinkedTokenSource(stop, late.Token);
            try
            {
                bool held = await _leases.HeartbeatAsync(_lease.RunId, _lease.ShardId, _lease.Attempt, _lease.Owner, _leaseFor, call.Token).ConfigureAwait(false);
                if (!held)
                {
                    LogLeaseLost(_lease.RunId, _lease.ShardId, _lease.Attempt);
                    return LeaseLoss.Taken;
                }

                _expiresAt = at + _leaseFor;
                if (failures > 0)
                {
                    LogRenewedAfterFaults(_lease.RunId, _lease.ShardId, _lease.Attempt, failures);
                }

                return null;
            }
            catch (Exception e) when (!stop.IsCancellationRequested && (late.IsCancellationRequested || IsTransient(e)))
            {
                if (_time.GetUtcNow() + backoff >= _expiresAt)
                {
                    LogCannotRenewAfter(e, _lease.RunId, _lease.ShardId, _lease.Attempt, failures + 1);
                    return LeaseLoss.Expired;
                }

                LogRetrying(e, _lease.RunId, _lease.ShardId, _lease.Attempt, backoff.TotalMilliseconds);
                await Task.Delay(backoff, _time, stop).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, Math.Max(FirstRetry.Ticks, _leaseFor.Ticks / 10)));
            }
            catch (Exception e) when (!stop.IsCancellationRequested && e is not OperationCanceledException)
            {
                LogHeartbeatFailed(e, _lease.RunId, _lease.ShardId, _lease.Attempt);
                return LeaseLoss.Failed;
            }
        }
    }

    /// <summary>The faults that go away by themselves: what the consumer's message retry treats as transient, plus a broken connection.</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        NpgsqlException n => n.IsTransient || n.InnerException is IOException or SocketException or TimeoutException,
        TimeoutException or IOException or SocketException => true,
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the lease on shard {RunId}/{ShardId} attempt {Attempt} (re-issued or finished elsewhere); stopping")]
    private partial void LogLeaseLost(Guid runId, int shardId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of shard {RunId}/{ShardId} attempt {Attempt} failed; retrying in {DelayMs} ms")]
    private partial void LogRetrying(Exception exception, Guid runId, int shardId, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Heartbeat of shard {RunId}/{ShardId} attempt {Attempt} renewed the lease after {Failures} failures")]
    private partial void LogRenewedAfterFaults(Guid runId, int shardId, int attempt, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "The lease on shard {RunId}/{ShardId} attempt {Attempt} ran out after {Failures} failed heartbeats; stopping")]
    private partial void LogCannotRenew(Guid runId, int shardId, int attempt, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "The lease on shard {RunId}/{ShardId} attempt {Attempt} cannot be renewed before it runs out ({Failures} failed heartbeats); stopping")]
    private partial void LogCannotRenewAfter(Exception exception, Guid runId, int shardId, int attempt, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "Heartbeat of shard {RunId}/{ShardId} attempt {Attempt} failed with a fault that retrying does not cure; stopping")]
    private partial void LogHeartbeatFailed(Exception exception, Guid runId, int shardId, int attempt);
}
