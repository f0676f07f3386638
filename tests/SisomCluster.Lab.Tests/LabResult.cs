using SisomCluster.Cli;

namespace SisomCluster.Lab.Tests;

/// <summary>Exit code and captured output of one in-process run of <c>sisom-lab</c> (or, with <see cref="RunCli"/>, of <c>sisom</c>).</summary>
public sealed record LabResult(int ExitCode, string Stdout, string Stderr)
{
    public static LabResult Run(params string[] args) => Capture(args, LabApplication.Run);

    /// <summary>A product command a lab test needs first (<c>model inspect</c>), through the CLI itself.</summary>
    public static LabResult RunCli(params string[] args) => Capture(args, CliApplication.Run);

    public IReadOnlyList<string> StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";

    private static LabResult Capture(string[] args, Func<string[], TextWriter, TextWriter, int> run)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exitCode = run(args, stdout, stderr);
        return new LabResult(exitCode, stdout.ToString(), stderr.ToString());
    }
}
