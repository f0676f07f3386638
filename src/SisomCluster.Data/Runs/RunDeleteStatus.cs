namespace SisomCluster.Data.Runs;

public enum RunDeleteStatus
{
    /// <summary>The run, its partition of <c>item_scores</c> and every row that referred to it are gone.</summary>
    Deleted,

    /// <summary>No such run.</summary>
    NotFound,

    /// <summary>The run is pending or running: cancel it first (its workers would write into a dropped partition).</summary>
    Active,
}
