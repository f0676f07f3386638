using System.Diagnostics;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// The checkout's <c>deploy/local/services.sh</c> (PostgreSQL + pgvector, RabbitMQ): found by walking up from the CLI's
/// build to <c>SisomCluster.sln</c>; its progress is streamed to stderr; its env lines become settings.
/// </summary>
internal static class LocalServices
{
    /// <summary>The repository root above this CLI build, or null when the CLI runs outside a checkout (an installed tool).</summary>
    public static string? FindCheckout()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SisomCluster.sln")) && File.Exists(Path.Combine(directory.FullName, "deploy", "local", "services.sh")))
            {
                return directory.FullName;
            }
        }

        return null;
    }

    /// <summary>Runs <c>services.sh COMMAND</c>; returns its stdout lines (for <c>up</c> and <c>env</c>: NAME=VALUE settings).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> RunAsync(string checkout, string command, TextWriter progress, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Path.Combine(checkout, "deploy", "local", "services.sh"), command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("services.sh did not start.");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (progress)
                {
                    progress.WriteLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        string stdout = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new UsageException($"deploy/local/services.sh {command} failed (exit {process.ExitCode}); see the lines above.");
        }

        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                settings[line[..equals]] = line[(equals + 1)..];
            }
        }

        return settings;
    }
}
