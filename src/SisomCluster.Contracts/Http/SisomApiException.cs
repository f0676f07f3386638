namespace SisomCluster.Contracts.Http;

/// <summary>The API answered with an error (or could not be reached): the status and the problem it described.</summary>
public sealed class SisomApiException : Exception
{
    public SisomApiException()
    {
    }

    public SisomApiException(string message)
        : base(message)
    {
    }

    public SisomApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SisomApiException(int status, string message, ProblemResponse? problem)
        : base(message)
    {
        Status = status;
        Problem = problem;
    }

    /// <summary>The HTTP status; 0 when no answer came.</summary>
    public int Status { get; }

    public ProblemResponse? Problem { get; }
}
