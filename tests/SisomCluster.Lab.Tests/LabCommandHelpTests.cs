using System.CommandLine;
using SisomCluster.Cli;
using Xunit;

namespace SisomCluster.Lab.Tests;

/// <summary>
/// The help audit of <c>sisom-lab</c>, as CommandHelpTests is the CLI's: every command of the tree, however deep, shows
/// an example in its --help; and the split holds: eval and bench live here, not in <c>sisom</c>, whose help says where.
/// </summary>
public sealed class LabCommandHelpTests
{
    public static TheoryData<string> CommandPaths() => [.. AllPaths(LabApplication.CreateRootCommand())];

    [Fact]
    public void The_tree_holds_every_documented_command()
    {
        var paths = AllPaths(LabApplication.CreateRootCommand()).ToHashSet(StringComparer.Ordinal);
        foreach (string expected in new[] { "eval", "eval ood", "eval al", "bench", "bench core", "bench inference", "bench cluster", "bench rescore", "bench augment", "bench copy", "bench suite", "bench chaos" })
        {
            Assert.Contains(expected, paths);
        }
    }

    [Fact]
    public void The_product_cli_has_no_eval_or_bench_and_its_help_points_to_the_lab()
    {
        RootCommand cli = CliApplication.CreateRootCommand();
        Assert.DoesNotContain(cli.Subcommands, c => c.Name is "eval" or "bench");

        LabResult help = LabResult.RunCli("--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("sisom-lab", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("./sisom eval", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("./sisom bench", help.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void Help_shows_an_example(string path)
    {
        Command command = Find(path);
        Assert.False(string.IsNullOrWhiteSpace(command.Description), $"'sisom-lab {path}' has no description");
        Assert.Contains("Example:", command.Description, StringComparison.Ordinal);

        LabResult help = LabResult.Run([.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        string[] lines = help.Stdout.Split('\n');
        int example = Array.FindIndex(lines, l => l.Trim() == "Example:");
        Assert.True(example >= 0 && example + 1 < lines.Length, help.Stdout);
        Assert.StartsWith("  ", lines[example + 1], StringComparison.Ordinal);

        // Examples are written as users type them from a checkout: ./sisom dispatches eval and bench to sisom-lab.
        Assert.Contains("sisom ", lines[example + 1], StringComparison.Ordinal);
    }

    private static List<string> AllPaths(Command root)
    {
        var paths = new List<string>();
        void Walk(Command command, string path)
        {
            paths.Add(path);
            foreach (Command sub in command.Subcommands)
            {
                Walk(sub, path.Length == 0 ? sub.Name : path + " " + sub.Name);
            }
        }

        Walk(root, string.Empty);
        return paths;
    }

    private static Command Find(string path)
    {
        Command command = LabApplication.CreateRootCommand();
        foreach (string name in path.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            command = command.Subcommands.Single(c => c.Name == name);
        }

        return command;
    }
}
