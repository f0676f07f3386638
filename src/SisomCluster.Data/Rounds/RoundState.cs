namespace SisomCluster.Data.Rounds;

/// <summary>Stored as lower-case text (<c>rounds.state</c>). A round is written with its run, so it starts running.</summary>
public enum RoundState
{
    /// <summary>Labels imported and the run created; waiting for the run to end.</summary>
    Running,

    /// <summary>The run completed: its selection, thresholds and exports are the round's.</summary>
    Completed,

    /// <summary>
    /// The run failed, was cancelled or deleted (<see cref="Round.Error"/>). The same request under the round's id starts a
    /// new attempt (<see cref="Round.Attempt"/>).
    /// </summary>
    Failed,
}
