namespace SisomCluster.Cli;

/// <summary>Whether a writer is the process's own console stream and that stream is a terminal (not a pipe or file).</summary>
internal static class Terminal
{
    public static bool IsTerminal(TextWriter writer) =>
        (ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected)
        || (ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected);
}
