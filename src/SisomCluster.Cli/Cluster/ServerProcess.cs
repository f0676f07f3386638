using System.Diagnostics;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// A <c>sisom-server</c> process started by the CLI (benchmarks, the demo) with its roles and settings; its output goes
/// to a log file. <see cref="StartAsync"/> returns once the host has started (the bus is connected: the server waits
/// for it), and disposing kills it.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _logLock = new();

    private ServerProcess(Process process, string roles, string logPath)
    {
        _process = process;
        Roles = roles;
        LogPath = logPath;
    }

    public string Roles { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    /// <summary>Whether the process has ended (killed, or crashed on its own).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The URL the server listens on, once started.</summary>
    public string? Url { get; private set; }

    /// <summary>
    /// The server assembly: beside this assembly (a published image), else in the checkout above it, built in the same
    /// configuration (the CLI project builds the server project too).
    /// </summary>
    public static string DefaultServerPath()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "sisom-server.dll");
        if (File.Exists(beside))
        {
            return beside;
        }

        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SisomCluster.sln")))
            {
                string candidate = Path.Combine(directory.FullName, "src", "SisomCluster.Server", "bin", configuration, "net10.0", "sisom-server.dll");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new UsageException("sisom-server.dll not found beside this CLI or in its checkout: build the solution (dotnet build -c Release) or pass --server-dll PATH.");
    }

    public static async Task<ServerProcess> StartAsync(
        string serverPath, string roles, IReadOnlyDictionary<string, string> settings, string logDirectory, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var start = new ProcessStartInfo("dotnet", [serverPath, "--roles", roles, "--urls", settings.GetValueOrDefault("urls", "http://127.0.0.1:0")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach ((string key, string value) in settings)
        {
            if (key != "urls")
            {
                start.Environment[key] = value;
            }
        }

        Directory.CreateDirectory(logDirectory);
        Process process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var server = new ServerProcess(process, roles, Path.Combine(logDirectory, $"sisom-server-{roles.Replace(',', '-')}-{process.Id}.log"));
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        Task exited = process.WaitForExitAsync(cancellationToken);
        Task first = await Task.WhenAny(server._listening.Task, exited, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        if (first != server._listening.Task)
        {
            await server.DisposeAsync().ConfigureAwait(false);
            string why = first == exited ? $"exited with code {process.ExitCode}" : $"did not start within {timeout.TotalSeconds:F0} s";
            throw new InvalidOperationException($"sisom-server --roles {roles} {why}; log: {server.LogPath}\n{server.Tail()}");
        }

        return server;
    }

    /// <summary>Runs one administration command of the server (<c>sisom-server migrate</c>, <c>apikey create</c>) to its end.</summary>
    /// <returns>Its standard output; a failure is an exception carrying its standard error.</returns>
    public static async Task<string> RunAdminAsync(string serverPath, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(settings);
        var start = new ProcessStartInfo("dotnet", [serverPath, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach ((string key, string value) in settings)
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C during a migration or a key mint: the child must not outlive the demo.
            process.Kill(entireProcessTree: true);
            throw;
        }

        return process.ExitCode == 0
            ? await output.ConfigureAwait(false)
            : throw new UsageException($"sisom-server {string.Join(' ', args)} exited with code {process.ExitCode}: {(await error.ConfigureAwait(false)).Trim()}");
    }

    /// <summary>The last lines of the log.</summary>
    public string Tail(int lines = 30)
    {
        lock (_logLock)
        {
            return File.Exists(LogPath) ? string.Join('\n', File.ReadLines(LogPath).TakeLast(lines)) : "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            File.AppendAllText(LogPath, line + "\n");
        }

        // Kestrel announces its address first; "Application started" comes after every hosted service started,
        // the bus included (MassTransitHostOptions.WaitUntilStarted).
        const string Listening = "Now listening on: ";
        int at = line.IndexOf(Listening, StringComparison.Ordinal);
        if (at >= 0)
        {
            Url = line[(at + Listening.Length)..].Trim();
        }
        else if (line.Contains("Application started.", StringComparison.Ordinal))
        {
            _listening.TrySetResult(Url ?? "");
        }
    }
}
