namespace SisomCluster.Server.Rounds;

/// <summary>A round id already names a round with other labels, pool, budget, model, quantile, OOD score or class names (HTTP 409).</summary>
public sealed class RoundConflictException : Exception
{
    public RoundConflictException()
    {
    }

    public RoundConflictException(string message)
        : base(message)
    {
    }

    public RoundConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
