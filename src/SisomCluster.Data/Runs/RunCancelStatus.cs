namespace SisomCluster.Data.Runs;

public enum RunCancelStatus
{
    Cancelled,
    AlreadyCancelled,

    /// <summary>The run completed or failed (or is being finalised) before the cancel: nothing changed.</summary>
    Finished,
    NotFound,
}
