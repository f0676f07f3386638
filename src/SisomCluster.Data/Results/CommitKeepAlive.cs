using System.Diagnostics;
using Npgsql;

namespace SisomCluster.Data.Results;

/// <summary>
/// Keeps an open <see cref="ShardCommit"/>'s transaction from counting as idle. A live worker whose items come slowly (a
/// large model on a CPU, items that fail after HTTP retries, an incremental shard whose items are almost all skipped) may
/// not COPY a chunk for longer than <see cref="ShardCommitLimits.IdleLimit"/>; once started, this loop sends a
/// <c>SELECT 1</c> on the commit's connection every third of the limit unless something else used it in the last sixth
/// (the longest quiet spell is half the limit, leaving the other half for a late timer on a loaded machine), so only a
/// worker that stopped altogether loses its commit to the limit. The commit's own statements go through
/// <see cref="UseAsync"/>, which keeps the ping off the connection while they run and counts them as use.
/// </summary>
internal sealed class CommitKeepAlive(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _lastUse = Stopwatch.GetTimestamp();

    /// <summary>Starts pinging every <paramref name="every"/> (a third of the idle limit).</summary>
    public void Start(TimeSpan every) => _loop = LoopAsync(every);

    /// <summary>Runs <paramref name="work"/> on the connection with the ping held off, and counts it as use.</summary>
    public async Task UseAsync<TState>(Func<TState, CancellationToken, Task> work, TState state, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await work(state, cancellationToken).ConfigureAwait(false);
            _lastUse = Stopwatch.GetTimestamp();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the loop and waits for a ping in flight; the connection is the caller's alone afterwards.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
        _gate.Dispose();
    }

    private async Task LoopAsync(TimeSpan every)
    {
        CancellationToken stop = _stop.Token;
        try
        {
            while (true)
            {
                await Task.Delay(every, stop).ConfigureAwait(false);
                if (Stopwatch.GetElapsedTime(_lastUse) < every / 2 || !await _gate.WaitAsync(0, stop).ConfigureAwait(false))
                {
                    continue;
                }

                try
                {
                    await using var ping = new NpgsqlCommand("SELECT 1", connection, transaction);
                    await ping.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                    _lastUse = Stopwatch.GetTimestamp();
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (NpgsqlException)
        {
            // The connection is gone (PostgreSQL restarted, the session was ended): the next COPY or the completion
            // reports it; the keep-alive has nothing left to keep.
        }
    }
}
