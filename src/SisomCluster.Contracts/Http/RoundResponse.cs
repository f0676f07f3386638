namespace SisomCluster.Contracts.Http;

/// <summary>A round (<c>GET /api/v1/rounds/{id}</c>): its state, its run and what its label import did.</summary>
/// <param name="State">pending, running, completed or failed (<see cref="RoundStates"/>).</param>
/// <param name="RunId">The round's run: its selection and exports are the round's (<c>/api/v1/runs/{run_id}/selection…</c>).</param>
/// <param name="LabelsAdded">Labels the round's import added.</param>
/// <param name="LabelsUnchanged">Labels the pool had already with the same class.</param>
/// <param name="Selected">Items the run selected (null until completed).</param>
/// <param name="Existing">Set by <c>POST /rounds</c> when the round id was known (running or completed): nothing was changed.</param>
/// <param name="Attempt">1, one more for each new attempt of the round after it failed (<c>POST /rounds</c> again with the same request); <see cref="RunId"/> is the latest attempt's run.</param>
public sealed record RoundResponse(
    string Id,
    string? Pool,
    string State,
    Guid? RunId,
    string LabelsSha256,
    int LabelsAdded,
    int LabelsUnchanged,
    int Budget,
    int? Selected,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    bool Existing = false,
    int Attempt = 1)
{
    /// <summary>Whether the round has ended: nothing about it changes any more.</summary>
    public bool IsFinished => State is RoundStates.Completed or RoundStates.Failed;
}
