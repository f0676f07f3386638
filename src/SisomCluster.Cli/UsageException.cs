namespace SisomCluster.Cli;

/// <summary>
/// A problem the user can fix (a missing file, inconsistent inputs, a bad option value). The message is
/// printed as one line, without a stack trace, and the tool exits with <see cref="ExitCodes.UsageError"/>.
/// </summary>
public sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
