using System.Diagnostics;
using System.Globalization;

namespace SisomCluster.Lab.Bench;

/// <summary>How each fault of <see cref="ChaosFault"/> is put in place in a run in flight, and how a run is caught mid-run.</summary>
public sealed partial class ChaosBenchmark
{
    /// <summary>Shards still waiting when a fault lands: work the faulted component must carry after it.</summary>
    private const int MinPending = 3;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    /// <summary>How long the paused workers are let go between two looks at the run (<see cref="WaitMidRunAsync"/>).</summary>
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan TriggerTimeout = TimeSpan.FromMinutes(3);

    /// <summary>SIGKILL of a worker that holds a lease, checked while the workers are paused: it dies mid-shard.</summary>
    private static async Task<Injection> KillWorkerAsync(Rig rig, Guid runId, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TriggerTimeout)
        {
            if (await WaitMidRunAsync(rig, runId, cancellationToken).ConfigureAwait(false) is null)
            {
                break;
            }

            // The leases are read with the workers stopped, so the one found is still held when the kill lands. A worker
            // caught between two shards (shards of 100 rows are scored in milliseconds) holds none: it is let go a step
            // and caught again, never left running long enough to finish the run unhurt.
            await rig.Cluster.PauseWorkersAsync().ConfigureAwait(false);
            try
            {
                foreach (ChaosRunProbe.Lease lease in await rig.Probe.LeasesAsync(runId, cancellationToken).ConfigureAwait(false))
                {
                    if (rig.Cluster.WorkerOwning(lease.Owner) is { } victim)
                    {
                        int pid = victim.Id;
                        await rig.Cluster.KillWorkerAsync(victim, cancellationToken).ConfigureAwait(false);
                        DateTimeOffset now = DateTimeOffset.UtcNow;
                        return new Injection(true, $"killed worker {pid} holding shard {lease.ShardId} (attempt {lease.Attempt})", now, now);
                    }
                }
            }
            finally
            {
                await rig.Cluster.ResumeWorkersAsync().ConfigureAwait(false);
            }

            await Task.Delay(Step, cancellationToken).ConfigureAwait(false);
        }

        return Injection.Missed("no worker held a lease mid-run");
    }

    /// <summary>
    /// A service stopped mid-run, kept down for <see cref="ChaosBenchmarkSettings.Down"/> after the stop finished and
    /// started again (always). The fault lasts from the moment its port closed to the moment it accepts connections
    /// again (the servers reconnect then, before services.sh has finished provisioning).
    /// </summary>
    private async Task<Injection> TakeDownAsync(
        Rig rig, Guid runId, string service, int port, Func<CancellationToken, Task> down, Func<CancellationToken, Task> up, CancellationToken cancellationToken)
    {
        if (await WaitMidRunAsync(rig, runId, cancellationToken).ConfigureAwait(false) is not { } before)
        {
            return Injection.Missed("the run ended before the fault could land");
        }

        // Paused only until the port closes (the clients are cut off then), not through the whole graceful stop:
        // a pause longer than the lease would expire leases by itself.
        await rig.Cluster.PauseWorkersAsync().ConfigureAwait(false);
        var stopping = Stopwatch.StartNew();
        DateTimeOffset start;
        TimeSpan stop;
        DateTimeOffset? listening = null;
        try
        {
            try
            {
                Task stopped = down(cancellationToken);
                while (!stopped.IsCompleted && await Listening(port).ConfigureAwait(false))
                {
                    await Task.WhenAny(stopped, Task.Delay(100, CancellationToken.None)).ConfigureAwait(false);
                }

                start = DateTimeOffset.UtcNow;
                stop = stopping.Elapsed;
                await rig.Cluster.ResumeWorkersAsync().ConfigureAwait(false);
                await stopped.ConfigureAwait(false);
            }
            finally
            {
                await rig.Cluster.ResumeWorkersAsync().ConfigureAwait(false);
            }

            await Task.Delay(settings.Down, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Task starting = up(CancellationToken.None);
            while (!starting.IsCompleted && listening is null)
            {
                listening = await Listening(port).ConfigureAwait(false) ? DateTimeOffset.UtcNow : null;
                await Task.WhenAny(starting, Task.Delay(100, CancellationToken.None)).ConfigureAwait(false);
            }

            await starting.ConfigureAwait(false);

            // The harness's own pooled connections died with a restarted PostgreSQL.
            rig.Database.DataSource.Clear();
        }

        DateTimeOffset end = listening ?? DateTimeOffset.UtcNow;
        return new Injection(true, string.Create(CultureInfo.InvariantCulture, $"{service} down {(end - start).TotalSeconds:F0} s (port closed {stop.TotalSeconds:F0} s after the stop began) at {before.Done} done / {before.Pending} pending shards"), start, end);
    }

    private static async Task<bool> Listening(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port).ConfigureAwait(false);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>Every ScoreShard waiting in the queue dropped mid-run; only the coordinator's republish sweep brings them back.</summary>
    private static async Task<Injection> PurgeAsync(Rig rig, Guid runId, CancellationToken cancellationToken)
    {
        if (await WaitMidRunAsync(rig, runId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Injection.Missed("the run ended before the fault could land");
        }

        await rig.Cluster.PauseWorkersAsync().ConfigureAwait(false);
        try
        {
            uint purged = await rig.Queue.PurgeAsync(cancellationToken).ConfigureAwait(false);
            DateTimeOffset now = DateTimeOffset.UtcNow;
            return new Injection(purged > 0, $"purged {purged} ScoreShard messages", now, now);
        }
        finally
        {
            await rig.Cluster.ResumeWorkersAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The run's last shard made unreadable on every attempt, as soon as the run's shards are listed: the pool's ids
    /// file is cut inside that shard's rows, so each read fails ("ids file ends before row"). The shard must fail after
    /// its attempts and the run complete; the file is restored after the case.
    /// </summary>
    private async Task<Injection> PoisonAsync(Rig rig, Guid runId, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TriggerTimeout && (await rig.Probe.ShardsAsync(runId, cancellationToken).ConfigureAwait(false)).Count == 0)
        {
            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }

        await rig.Cluster.PauseWorkersAsync().ConfigureAwait(false);
        try
        {
            IReadOnlyList<(int ShardId, int ItemCount, string State)> shards = await rig.Probe.ShardsAsync(runId, cancellationToken).ConfigureAwait(false);
            if (shards.Count == 0 || shards[^1].State != "pending")
            {
                return Injection.Missed("the last shard was taken before it could be poisoned");
            }

            (int shardId, int itemCount, _) = shards[^1];
            int keep = settings.Items - itemCount + (itemCount / 2);
            string[] lines = await File.ReadAllLinesAsync(rig.IdsFile, cancellationToken).ConfigureAwait(false);
            await File.WriteAllLinesAsync(rig.IdsFile, lines.Take(keep), cancellationToken).ConfigureAwait(false);
            return new Injection(true, $"shard {shardId} ({itemCount} items): the ids file cut at line {keep} of {lines.Length}", DateTimeOffset.UtcNow, null) { Shard = shardId };
        }
        finally
        {
            await rig.Cluster.ResumeWorkersAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The api+coordinator+aggregator process killed mid-run (SIGKILL) and started again at once.</summary>
    private static async Task<Injection> RestartControlAsync(Rig rig, Guid runId, CancellationToken cancellationToken)
    {
        if (await WaitMidRunAsync(rig, runId, cancellationToken).ConfigureAwait(false) is not { } before)
        {
            return Injection.Missed("the run ended before the fault could land");
        }

        await rig.Cluster.PauseWorkersAsync().ConfigureAwait(false);
        int pid = rig.Cluster.Control?.Id ?? 0;
        DateTimeOffset start = DateTimeOffset.UtcNow;
        try
        {
            await rig.Cluster.KillControlAsync().ConfigureAwait(false);
        }
        finally
        {
            await rig.Cluster.ResumeWorkersAsync().ConfigureAwait(false);
        }

        await rig.Cluster.EnsureAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset end = DateTimeOffset.UtcNow;
        return new Injection(true, string.Create(CultureInfo.InvariantCulture, $"killed {ChaosCluster.ControlRoles} {pid} at {before.Done} done / {before.Pending} pending shards, {rig.Cluster.Control?.Id} up after {(end - start).TotalSeconds:F0} s"), start, end);
    }

    /// <summary>
    /// Waits until the run is running with shards done and at least <see cref="MinPending"/> not done (pending or leased);
    /// null when it ended first. The workers are paused (SIGSTOP) from the start — they have nothing to do before the run's
    /// context is ready — and once its shards are out they are stepped: let go for <see cref="Step"/>, paused, the run
    /// looked at. A small pool scored by warm workers can go from no shard done to all done within one poll (CI saw a
    /// 30-shard run end unobserved twice, the harness's poll late on a loaded machine), so the run must not move while it
    /// is looked at. Returns with the workers running, as it found them.
    /// </summary>
    private static async Task<ChaosRunProbe.Snapshot?> WaitMidRunAsync(Rig rig, Guid runId, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await rig.Cluster.PauseWorkersAsync().ConfigureAwait(false);
        try
        {
            while (clock.Elapsed < TriggerTimeout)
            {
                ChaosRunProbe.Snapshot? snapshot = await rig.Probe.TrySnapshotAsync(runId, cancellationToken).ConfigureAwait(false);
                if (snapshot is { Ended: true })
                {
                    return null;
                }

                if (snapshot is not null && snapshot.MidRun(MinPending))
                {
                    return snapshot;
                }

                if (snapshot is { State: "running" } && snapshot.Pending + snapshot.Leased + snapshot.Done > 0)
                {
                    await rig.Cluster.ResumeWorkersAsync().ConfigureAwait(false);
                    await Task.Delay(Step, cancellationToken).ConfigureAwait(false);
                    await rig.Cluster.PauseWorkersAsync().ConfigureAwait(false);
                }
                else
                {
                    await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
                }
            }

            return null;
        }
        finally
        {
            await rig.Cluster.ResumeWorkersAsync().ConfigureAwait(false);
        }
    }
}
