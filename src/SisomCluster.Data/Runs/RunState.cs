namespace SisomCluster.Data.Runs;

/// <summary>Stored as lower-case text (<c>runs.state</c>).</summary>
public enum RunState
{
    Pending,
    Running,
    Finalizing,
    Completed,
    Failed,
    Cancelled,
}
