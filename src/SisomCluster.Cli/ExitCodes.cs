namespace SisomCluster.Cli;

/// <summary>Process exit codes of <c>sisom</c>: scripts tell "fix your input" from "report a bug" by them.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Unexpected failure: a bug or an environment problem, printed with its stack trace.</summary>
    public const int Failure = 1;

    /// <summary>Bad arguments or bad input files; the message says which.</summary>
    public const int UsageError = 2;

    /// <summary><c>run watch</c>: the run ended failed or cancelled (the message says which, and why).</summary>
    public const int RunNotCompleted = 3;

    /// <summary>Interrupted (Ctrl+C) while waiting: 128 + SIGINT, as shells report it.</summary>
    public const int Interrupted = 130;
}
