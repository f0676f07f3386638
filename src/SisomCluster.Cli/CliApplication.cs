using System.CommandLine;
using SisomCluster.Cli.Offline;

namespace SisomCluster.Cli;

/// <summary>
/// The <c>sisom</c> command tree and the one place where failures become exit codes and messages.
/// <see cref="Run"/> takes its writers as arguments so tests run the tool in-process.
/// </summary>
public static class CliApplication
{
    public static RootCommand CreateRootCommand() =>
        new("sisom: SISOM scoring for active learning and out-of-distribution detection (SisomCluster)." + Environment.NewLine
            + Environment.NewLine
            + "The evaluations (eval) and benchmarks (bench) are in sisom-lab, the research harness: from a checkout," + Environment.NewLine
            + "./sisom eval ... and ./sisom bench ... run it." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom offline score --help")
        {
            OfflineCommand.Create(),
            Model.ModelCommand.Create(),
            Cluster.PoolCommand.Create(),
            Cluster.LabelsCommand.Create(),
            Cluster.RunCommand.Create(),
            Cluster.DemoCommand.Create(),
            Cluster.ApiKeyCommand.Create(),
            Cluster.SelectCommand.Create(),
            Cluster.RoundCommand.Create(),
            Cluster.ThresholdsCommand.Create(),
            Cluster.ExportCommand.Create(),
            Cluster.DriftCommand.Create(),
            Cluster.ItemCommand.Create(),
            Cluster.LoginCommand.Create(),
            Cluster.ServicesCommand.CreateUp(),
            Cluster.ServicesCommand.CreateDown(),
        };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(CreateRootCommand(), args, stdout, stderr);

    /// <summary>Runs <paramref name="root"/> with <c>sisom</c>'s exit codes and error reporting (also <c>sisom-lab</c>'s tree).</summary>
    internal static int Run(RootCommand root, string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ParseResult parseResult = root.Parse(args);

        // System.CommandLine reports parse errors with exit code 1; here 1 means "bug", so report them
        // ourselves as usage errors (2), one line each. --help and --version clear parse errors and run normally.
        if (parseResult.Errors.Count > 0 && parseResult.Action is not { ClearsParseErrors: true })
        {
            foreach (System.CommandLine.Parsing.ParseError error in parseResult.Errors)
            {
                stderr.WriteLine($"error: {error.Message}");
            }

            return ExitCodes.UsageError;
        }

        try
        {
            return parseResult.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (UserMessage(e) is { } message)
        {
            stderr.WriteLine($"error: {message}");

            // The server unreachable or failing (5xx) is the environment, not the user's input: exit 1, as ExitCodes says.
            return e is Contracts.Http.SisomApiException { Status: 0 or >= 500 } ? ExitCodes.Failure : ExitCodes.UsageError;
        }
#pragma warning disable CA1031 // The process boundary: anything else is a bug, reported with its trace and exit code 1.
        catch (Exception e)
#pragma warning restore CA1031
        {
            stderr.WriteLine($"error: unexpected failure: {e.Message}");
            stderr.WriteLine(e);
            return ExitCodes.Failure;
        }
    }

    /// <summary>The one-line message for an error the user can fix, or null for a bug.</summary>
    private static string? UserMessage(Exception e) =>
        e switch
        {
            UsageException or InvalidDataException => e.Message,
            Contracts.Http.SisomApiException => e.Message,

            // Core reports bad input as ArgumentException (Guard); the "(Parameter 'x')" suffix names a C# parameter, not an option.
            ArgumentException a when a.ParamName is { } p && a.Message.EndsWith($" (Parameter '{p}')", StringComparison.Ordinal) => a.Message[..^$" (Parameter '{p}')".Length],
            ArgumentException => e.Message,
            IOException or UnauthorizedAccessException => e.Message,
            _ => null,
        };
}
