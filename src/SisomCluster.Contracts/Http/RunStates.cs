namespace SisomCluster.Contracts.Http;

/// <summary>The values of <see cref="RunResponse.State"/>.</summary>
public static class RunStates
{
    public const string Pending = "pending";

    public const string Running = "running";

    public const string Completed = "completed";

    public const string Failed = "failed";

    public const string Cancelled = "cancelled";
}
