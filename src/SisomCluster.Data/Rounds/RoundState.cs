namespace SisomCluster.Data.Rounds;

/// <summary>Stored as lower-case text (<c>rounds.state</c>).</summary>
public enum RoundState
{
    /// <summary>Written; its labels are not imported or its run is not created yet (the round sweep finishes that).</summary>
    Pending,

    /// <summary>Labels imported and the run created; waiting for the run to end.</summary>
    Running,

    /// <summary>The run completed: its selection, thresholds and exports are the round's.</summary>
    Completed,

    /// <summary>The run failed or was cancelled, or the labels could not be imported (<see cref="Round.Error"/>).</summary>
    Failed,
}
