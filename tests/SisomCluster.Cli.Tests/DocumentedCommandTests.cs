using System.CommandLine;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using SisomCluster.Lab;
using SisomCluster.Server.Hosting;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// Every command a user can copy: each <c>sisom …</c>, <c>./sisom …</c> and <c>sisom-server …</c> line of the fenced
/// code blocks in README.md and docker/README.md, each inline example with options, and each example of every
/// <c>--help</c>, is parsed by the tool it names, and every option value it gives is read back as the command would read
/// it (so a value the parser accepts but the command cannot bind, like the old <c>--alpha auto</c>, fails here). The
/// cluster flows themselves run against a real api role in ClusterCommandTests, ReportCommandTests and LoginTests.
/// </summary>
public sealed partial class DocumentedCommandTests
{
    /// <summary>What a placeholder in an example stands for: a run id prefix, a key, a file.</summary>
    private static readonly Dictionary<string, string> Placeholders = new(StringComparer.Ordinal)
    {
        ["$KEY"] = "sisom_1a2b3c4d_secret",
        ["<the key>"] = "sisom_1a2b3c4d_secret",
    };

    public static TheoryData<string, string> ReadmeExamples() => Examples(ReadmeCommands());

    public static TheoryData<string, string> HelpExamples() => Examples(HelpCommands());

    [Fact]
    public void The_readme_and_the_help_hold_examples_to_check()
    {
        Assert.True(ReadmeCommands().Count() >= 20, string.Join('\n', ReadmeCommands()));
        Assert.True(HelpCommands().Count() >= 40, string.Join('\n', HelpCommands()));
        Assert.Contains(ReadmeCommands(), c => c.Command.StartsWith("sisom run list", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ReadmeExamples))]
    public void A_readme_example_parses_and_binds(string source, string command) => AssertParses(source, command);

    [Theory]
    [MemberData(nameof(HelpExamples))]
    public void A_help_example_parses_and_binds(string source, string command) => AssertParses(source, command);

    [Fact]
    public void A_broken_example_is_caught()
    {
        // The check itself can fail: an unknown option, a missing argument and an unbindable value.
        Assert.NotNull(Problem("sisom run list --no-such-option"));
        Assert.NotNull(Problem("sisom select"));
        Assert.NotNull(Problem("sisom offline score --alpha fast --reference r.npy --reference-labels l.txt --queries q.npy --out o.csv --head h.json"));
        Assert.NotNull(Problem("sisom-server apikey mint"));
        Assert.Null(Problem("sisom offline score --alpha auto --reference r.npy --reference-labels l.txt --queries q.npy --out o.csv --head h.json"));
    }

    private static void AssertParses(string source, string command)
    {
        string? problem = Problem(command);
        Assert.True(problem is null, $"{source}: `{command}`: {problem}");
    }

    /// <returns>Why the command does not parse or bind, or null when it does.</returns>
    private static string? Problem(string command)
    {
        List<string> words = Split(command);
        string tool = words[0];
        string[] args = [.. words.Skip(1)];
        if (tool == "sisom-server")
        {
            return AdminCommands.Handles(args) ? AdminProblem(args)
                : args is ["--roles", var roles, ..] && TryRoles(roles) ? null
                : $"sisom-server does not take '{string.Join(' ', args)}'";
        }

        RootCommand root = args is ["eval" or "bench", ..] ? LabApplication.CreateRootCommand() : CliApplication.CreateRootCommand();
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            return string.Join("; ", parse.Errors.Select(e => e.Message));
        }

        // Read every option and argument as the command's action would: a custom parser's value must bind to its type.
        try
        {
            Command leaf = parse.CommandResult.Command;
            foreach (Option option in leaf.Options)
            {
                Read(parse, option);
            }

            foreach (Argument argument in leaf.Arguments)
            {
                Read(parse, argument);
            }
        }
        catch (Exception e) when (e is InvalidCastException or TargetInvocationException)
        {
            return $"a value does not bind: {(e.InnerException ?? e).Message}";
        }

        return null;
    }

    private static string? AdminProblem(string[] args) =>
        args switch
        {
            ["help" or "--help" or "-h"] or ["migrate"] => null,
            ["apikey", "create", .. var rest] when rest.Contains("--name") && (rest.Contains("--scope") || rest.Contains("--scopes")) && rest.Length % 2 == 0 => null,
            ["apikey", "revoke", _] => null,
            _ => $"sisom-server does not take '{string.Join(' ', args)}'",
        };

    private static bool TryRoles(string roles)
    {
        try
        {
            ServerRolesParser.Parse(roles);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Read(ParseResult parse, Symbol symbol)
    {
        Type valueType = symbol switch
        {
            Option o => o.ValueType,
            Argument a => a.ValueType,
            _ => throw new ArgumentOutOfRangeException(nameof(symbol)),
        };
        MethodInfo getValue = typeof(ParseResult).GetMethods()
            .Single(m => m.Name == nameof(ParseResult.GetValue) && m.IsGenericMethodDefinition && m.GetParameters()[0].ParameterType.IsGenericType
                && m.GetParameters()[0].ParameterType.GetGenericTypeDefinition() == (symbol is Option ? typeof(Option<>) : typeof(Argument<>)))
            .MakeGenericMethod(valueType);
        getValue.Invoke(parse, [symbol]);
    }

    private static TheoryData<string, string> Examples(IEnumerable<(string Source, string Command)> commands)
    {
        var data = new TheoryData<string, string>();
        foreach ((string source, string command) in commands.DistinctBy(c => c.Command))
        {
            data.Add(source, command);
        }

        return data;
    }

    /// <summary>The commands of README.md and docker/README.md: fenced code lines and inline examples that show options.</summary>
    private static IEnumerable<(string Source, string Command)> ReadmeCommands()
    {
        foreach (string file in new[] { "README.md", "docker/README.md" })
        {
            string[] lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), file));
            bool fenced = false;
            var pending = new StringBuilder();
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
                if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    fenced = !fenced;
                    continue;
                }

                if (fenced)
                {
                    // A continued line ends in a backslash.
                    if (line.EndsWith('\\'))
                    {
                        pending.Append(line[..^1]).Append(' ');
                        continue;
                    }

                    string whole = pending.Append(line).ToString();
                    pending.Clear();
                    foreach (string command in CommandsIn(StripComment(whole)))
                    {
                        yield return ($"{file}:{i + 1}", command);
                    }
                }
                else
                {
                    foreach (Match span in InlineCode().Matches(line))
                    {
                        string code = span.Groups[1].Value;
                        if (code.Contains(" --", StringComparison.Ordinal) && !code.Contains('|', StringComparison.Ordinal) && !code.Contains('…', StringComparison.Ordinal))
                        {
                            foreach (string command in CommandsIn(code))
                            {
                                yield return ($"{file}:{i + 1}", command);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The example lines of every --help in the sisom and sisom-lab trees.</summary>
    private static IEnumerable<(string Source, string Command)> HelpCommands()
    {
        foreach ((RootCommand root, string name) in new[] { (CliApplication.CreateRootCommand(), "sisom"), (LabApplication.CreateRootCommand(), "sisom-lab") })
        {
            var stack = new Stack<(Command Command, string Path)>([(root, name)]);
            while (stack.Count > 0)
            {
                (Command command, string path) = stack.Pop();
                foreach (Command sub in command.Subcommands)
                {
                    stack.Push((sub, path + " " + sub.Name));
                }

                string description = command.Description ?? "";
                int example = description.IndexOf("Example:", StringComparison.Ordinal);
                if (example < 0)
                {
                    continue;
                }

                foreach (string line in description[(example + "Example:".Length)..].Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
                {
                    foreach (string found in CommandsIn(StripComment(line)))
                    {
                        yield return ($"{path} --help", found);
                    }
                }
            }
        }
    }

    /// <summary>The sisom commands in a shell line: each part between &amp;&amp;, ; and |, and each $(…) inside.</summary>
    private static IEnumerable<string> CommandsIn(string line)
    {
        string text = line;
        foreach (Match inner in Substitution().Matches(line))
        {
            foreach (string command in CommandsIn(inner.Groups[1].Value))
            {
                yield return command;
            }

            text = text.Replace(inner.Value, "3f2c9a1b", StringComparison.Ordinal);
        }

        foreach ((string placeholder, string value) in Placeholders)
        {
            text = text.Replace(placeholder, value, StringComparison.Ordinal);
        }

        foreach (string part in Separators().Split(text))
        {
            // A redirection ends the command's words.
            string command = part.Split(['>', '<'], 2)[0].Trim().TrimEnd('&').Trim();
            if (command.StartsWith("export ", StringComparison.Ordinal) || command.StartsWith("curl ", StringComparison.Ordinal))
            {
                continue;
            }

            Match start = CommandStart().Match(command);
            if (start.Success)
            {
                yield return start.Groups[1].Value + command[start.Length..];
            }
        }
    }

    private static string StripComment(string line)
    {
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] is '"' or '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && line[i] == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }

        return line;
    }

    /// <summary>Shell-like words: spaces separate, quotes group.</summary>
    private static List<string> Split(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        char quote = '\0';
        bool any = false;
        foreach (char c in command)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                any = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (any || word.Length > 0)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    any = false;
                }
            }
            else
            {
                word.Append(c);
            }
        }

        if (any || word.Length > 0)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SisomCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("no checkout above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\$\(([^()]*)\)")]
    private static partial Regex Substitution();

    [GeneratedRegex(@"&&|;|\|\||(?<!\|)\|(?!\|)")]
    private static partial Regex Separators();

    [GeneratedRegex(@"^(?:\./)?(sisom-server|sisom)(?=\s|$)")]
    private static partial Regex CommandStart();
}
