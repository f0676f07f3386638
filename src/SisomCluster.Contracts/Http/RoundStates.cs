namespace SisomCluster.Contracts.Http;

/// <summary>The values of <see cref="RoundResponse.State"/>.</summary>
public static class RoundStates
{
    public const string Pending = "pending";

    public const string Running = "running";

    public const string Completed = "completed";

    public const string Failed = "failed";
}
