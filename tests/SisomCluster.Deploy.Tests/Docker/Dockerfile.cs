namespace SisomCluster.Deploy.Tests.Docker;

/// <summary>A Dockerfile as instructions (continuation lines joined, comments dropped), in order.</summary>
public sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<(string Keyword, string Arguments)> instructions) => Instructions = instructions;

    public IReadOnlyList<(string Keyword, string Arguments)> Instructions { get; }

    public static Dockerfile Load(string path)
    {
        var instructions = new List<(string, string)>();
        string pending = string.Empty;
        foreach (string raw in File.ReadLines(path))
        {
            string line = raw.Trim();
            if (pending.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            string whole = pending + line;
            pending = string.Empty;
            int space = whole.IndexOf(' ', StringComparison.Ordinal);
            instructions.Add((whole[..space].ToUpperInvariant(), whole[(space + 1)..].Trim()));
        }

        return new Dockerfile(instructions);
    }

    /// <summary>The dotnet commands of every RUN, split at &&: e.g. "dotnet publish src/X/X.csproj -c Release ...".</summary>
    public IEnumerable<(int Index, string[] Words)> DotnetCommands(string verb) =>
        Instructions
            .Select((instruction, index) => (instruction, index))
            .Where(x => x.instruction.Keyword == "RUN")
            .SelectMany(x => x.instruction.Arguments.Split("&&", StringSplitOptions.TrimEntries).Select(command => (x.index, command)))
            .Select(x => (x.index, Words: x.command.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .Where(x => x.Words.Length > 2 && x.Words[0] == "dotnet" && x.Words[1] == verb);

    /// <summary>The local sources of each COPY without --from, with the index of the instruction.</summary>
    public IEnumerable<(int Index, string Source)> LocalCopies() =>
        Instructions
            .Select((instruction, index) => (instruction, index))
            .Where(x => x.instruction.Keyword == "COPY" && !x.instruction.Arguments.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(x =>
            {
                string[] words = x.instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
                return words[..^1].Select(source => (x.index, source));
            });
}
