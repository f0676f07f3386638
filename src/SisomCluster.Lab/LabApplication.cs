using System.CommandLine;
using SisomCluster.Cli;
using SisomCluster.Lab.Bench;
using SisomCluster.Lab.Eval;

namespace SisomCluster.Lab;

/// <summary>
/// The <c>sisom-lab</c> command tree: the evaluations and benchmarks, run through the CLI's runner so that exit codes
/// and error messages are the same as <c>sisom</c>'s. From a checkout, <c>./sisom eval|bench …</c> dispatches here.
/// </summary>
public static class LabApplication
{
    public static RootCommand CreateRootCommand() =>
        new("sisom-lab: the research harness of SisomCluster - evaluations (eval) and benchmarks (bench). Not part of the"
            + " product images; from a checkout, ./sisom eval|bench runs it." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom bench suite --help")
        {
            EvalCommand.Create(),
            BenchCommand.Create(),
        };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        CliApplication.Run(CreateRootCommand(), args, stdout, stderr);
}
