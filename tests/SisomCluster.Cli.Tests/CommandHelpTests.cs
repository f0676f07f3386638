using System.CommandLine;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>The help audit: every command of the tree, however deep, shows an example in its --help.</summary>
public sealed class CommandHelpTests
{
    public static TheoryData<string> CommandPaths() => [.. AllPaths()];

    private static List<string> AllPaths()
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

        Walk(CliApplication.CreateRootCommand(), string.Empty);
        return paths;
    }

    [Fact]
    public void The_tree_holds_every_documented_command()
    {
        var paths = AllPaths().ToHashSet(StringComparer.Ordinal);
        foreach (string expected in new[] { "up", "down", "login", "demo", "pool add", "pool list", "labels import", "run start", "run list", "run status", "run watch", "run cancel", "select", "thresholds", "export", "drift", "item show", "item similar", "apikey create", "apikey list", "apikey revoke", "offline score", "round" })
        {
            Assert.Contains(expected, paths);
        }
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void Help_shows_an_example(string path)
    {
        Command command = Find(path);
        Assert.False(string.IsNullOrWhiteSpace(command.Description), $"'sisom {path}' has no description");
        Assert.Contains("Example:", command.Description, StringComparison.Ordinal);

        CliResult help = CliResult.Run([.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        string[] lines = help.Stdout.Split('\n');
        int example = Array.FindIndex(lines, l => l.Trim() == "Example:");
        Assert.True(example >= 0 && example + 1 < lines.Length, help.Stdout);
        Assert.StartsWith("  ", lines[example + 1], StringComparison.Ordinal);
        Assert.Contains("sisom ", lines[example + 1], StringComparison.Ordinal);
    }

    private static Command Find(string path)
    {
        Command command = CliApplication.CreateRootCommand();
        foreach (string name in path.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            command = command.Subcommands.Single(c => c.Name == name);
        }

        return command;
    }
}
