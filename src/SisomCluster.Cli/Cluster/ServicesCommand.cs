using System.CommandLine;
using System.Diagnostics;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// <c>sisom up|down</c>: the local PostgreSQL + pgvector and RabbitMQ of a checkout, through its
/// <c>deploy/local/services.sh</c> — the script CI and <c>./test.sh</c> use — with the script's progress streamed as it goes.
/// </summary>
internal static class ServicesCommand
{
    public const string ScriptPath = "deploy/local/services.sh";

    public static Command CreateUp() =>
        Create(
            "up",
            "Start the local services (PostgreSQL 15 + pgvector on 127.0.0.1:55432, RabbitMQ on 127.0.0.1:5672), installing missing Debian packages first; "
            + "prints the connection settings as NAME=VALUE lines. Idempotent. Needs root and a SisomCluster checkout (development only: trust authentication).",
            "  export $(sisom up)");

    public static Command CreateDown() =>
        Create(
            "down",
            "Stop the local services that sisom up started (by their pid files). Needs root and a SisomCluster checkout.",
            "  sisom down");

    private static Command Create(string verb, string description, string example)
    {
        var checkout = new Option<DirectoryInfo?>("--checkout")
        {
            Description = $"The SisomCluster checkout whose {ScriptPath} runs; default: the nearest one above the current directory, else the one this sisom was built in.",
            HelpName = "DIR",
        };
        var command = new Command(verb, description + Environment.NewLine + Environment.NewLine + "Example:" + Environment.NewLine + example)
        {
            checkout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string script = parse.GetValue(checkout) is { } given
                ? LocateScript(given.FullName, walkUp: false) ?? throw new UsageException($"{given.FullName} is not a SisomCluster checkout: it has no {ScriptPath}.")
                : LocateScript(Environment.CurrentDirectory, walkUp: true) ?? LocateScript(AppContext.BaseDirectory, walkUp: true)
                  ?? throw new UsageException($"sisom {verb} runs {ScriptPath} of a SisomCluster checkout: run it inside one, or pass --checkout DIR.");
            if (!Environment.IsPrivilegedProcess)
            {
                throw new UsageException($"sisom {verb} must run as root: {ScriptPath} installs Debian packages and runs PostgreSQL as the postgres user (try: sudo sisom {verb}).");
            }

            int exitCode = await RunScriptAsync(script, verb, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken).ConfigureAwait(false);
            if (exitCode != 0)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {ScriptPath} {verb} failed with exit code {exitCode}; its messages are above.");
                return ExitCodes.Failure;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The services script of the checkout at <paramref name="directory"/> (or, with <paramref name="walkUp"/>, of the nearest one above it).</summary>
    internal static string? LocateScript(string directory, bool walkUp)
    {
        for (DirectoryInfo? d = new(directory); d is not null; d = walkUp ? d.Parent : null)
        {
            string script = Path.Combine(d.FullName, ScriptPath);

            // The solution file too: another project's deploy/local/services.sh is not ours to run as root.
            if (File.Exists(script) && File.Exists(Path.Combine(d.FullName, "SisomCluster.sln")))
            {
                return script;
            }
        }

        return null;
    }

    /// <summary>Runs the script with bash, copying its stdout (the env lines) and stderr (progress) line by line as they come.</summary>
    private static async Task<int> RunScriptAsync(string script, string verb, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { script, verb },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        try
        {
            await Task.WhenAll(
                CopyLinesAsync(process.StandardOutput, stdout, cancellationToken),
                CopyLinesAsync(process.StandardError, stderr, cancellationToken)).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: stop the script (it is idempotent; the next up finishes the job) rather than leave it running unseen.
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    private static async Task CopyLinesAsync(StreamReader from, TextWriter to, CancellationToken cancellationToken)
    {
        // One pump per writer, so no two threads write to one writer.
        while (await from.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            to.WriteLine(line);
        }
    }
}
