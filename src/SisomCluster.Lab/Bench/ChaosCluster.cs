using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SisomCluster.Cli.Cluster;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// The chaos benchmark's cluster of real processes: one <c>api,coordinator,aggregator</c> process (the control) and
/// two <c>worker</c> processes, with the settings that make recovery take seconds. A killed process is replaced by
/// <see cref="EnsureAsync"/>; <see cref="PauseWorkersAsync"/> stops the workers (SIGSTOP) while a fault is put in
/// place, so it lands mid-run however fast the pool is scored.
/// </summary>
internal sealed partial class ChaosCluster(string serverPath, IReadOnlyDictionary<string, string> settings, string logDirectory, Action<string> progress) : IAsyncDisposable
{
    public const int WorkerCount = 2;
    public const string ControlRoles = "api,coordinator,aggregator";

    // Linux's signal numbers (x86-64 and arm64 alike).
    private const int SigStop = 19;
    private const int SigCont = 18;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly List<ServerProcess> _workers = [];
    private readonly List<Task<ServerProcess>> _starting = [];

    public ServerProcess? Control { get; private set; }

    public IReadOnlyList<ServerProcess> Workers => _workers;

    /// <summary>Starts what is missing: the control process and workers up to <see cref="WorkerCount"/>; exited ones are dropped first.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        _workers.AddRange(await Task.WhenAll(_starting).ConfigureAwait(false));
        _starting.Clear();
        foreach (ServerProcess gone in _workers.Where(w => w.HasExited).ToList())
        {
            progress($"    worker {gone.Id} had exited; starting another");
            _workers.Remove(gone);
            await gone.DisposeAsync().ConfigureAwait(false);
        }

        if (Control is { HasExited: true })
        {
            progress($"    the control process {Control.Id} had exited; starting another");
            await Control.DisposeAsync().ConfigureAwait(false);
            Control = null;
        }

        var starting = new List<Task<ServerProcess>>();
        if (Control is null)
        {
            Control = await ServerProcess.StartAsync(serverPath, ControlRoles, settings, logDirectory, StartTimeout, cancellationToken).ConfigureAwait(false);
        }

        for (int i = _workers.Count; i < WorkerCount; i++)
        {
            starting.Add(ServerProcess.StartAsync(serverPath, "worker", settings, logDirectory, StartTimeout, cancellationToken));
        }

        _workers.AddRange(await Task.WhenAll(starting).ConfigureAwait(false));
    }

    /// <summary>
    /// SIGKILL, like a crash: no shutdown, no abandon, the lease just stops being renewed. A replacement starts at
    /// once, in the background (<see cref="EnsureAsync"/> takes it in), so the next case does not wait for it.
    /// </summary>
    public async Task KillWorkerAsync(ServerProcess worker, CancellationToken cancellationToken)
    {
        _workers.Remove(worker);
        await worker.DisposeAsync().ConfigureAwait(false);
        _starting.Add(ServerProcess.StartAsync(serverPath, "worker", settings, logDirectory, StartTimeout, cancellationToken));
    }

    /// <summary>The worker whose lease owner id (<c>host-pid</c>) is <paramref name="owner"/>, if it is one of ours and alive.</summary>
    public ServerProcess? WorkerOwning(string owner) =>
        _workers.FirstOrDefault(w => !w.HasExited && owner.EndsWith("-" + w.Id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

    public async Task KillControlAsync()
    {
        if (Control is not null)
        {
            await Control.DisposeAsync().ConfigureAwait(false);
            Control = null;
        }
    }

    public Task PauseWorkersAsync() => SignalAsync(SigStop);

    public Task ResumeWorkersAsync() => SignalAsync(SigCont);

    public string Tails() =>
        string.Join('\n', new[] { Control }.Concat(_workers).OfType<ServerProcess>().Select(p => $"== {p.Roles} {p.Id} ({p.LogPath})\n{p.Tail(15)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (Task<ServerProcess> starting in _starting)
        {
            try
            {
                _workers.Add(await starting.ConfigureAwait(false));
            }
            catch (InvalidOperationException)
            {
                // It did not start; nothing to stop.
            }
        }

        _starting.Clear();
        await ResumeWorkersAsync().ConfigureAwait(false);
        foreach (ServerProcess process in new[] { Control }.Concat(_workers).OfType<ServerProcess>())
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }

        _workers.Clear();
        Control = null;
    }

    // kill(2) itself, not a `kill` process per worker: spawning one took tens of milliseconds on a busy machine, so a
    // worker let go for a 20 ms step ran for several times that, and a small pool's run could finish inside one step
    // (BenchChaosTests: "the run ended before the fault could land").
    private Task SignalAsync(int signal)
    {
        foreach (ServerProcess worker in _workers.Where(w => !w.HasExited))
        {
            if (Kill(worker.Id, signal) != 0)
            {
                int error = Marshal.GetLastPInvokeError();
                if (!worker.HasExited)
                {
                    throw new InvalidOperationException($"kill({worker.Id}, {signal}) failed: errno {error}.");
                }
            }
        }

        return Task.CompletedTask;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
