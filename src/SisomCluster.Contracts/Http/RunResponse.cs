namespace SisomCluster.Contracts.Http;

/// <param name="State">pending, running, completed, failed or cancelled.</param>
/// <param name="Progress">Shard and item counts; present in lists and single reads alike.</param>
/// <param name="OodScore">The score whose threshold and flag drive the run's drift, OOD rate and OOD exclusion (<see cref="OodScoreNames"/>).</param>
/// <param name="Incremental">The run scores only items no earlier completed run scored for the same model and labels (<see cref="StartRunRequest.Incremental"/>).</param>
/// <param name="EmbeddingsFrom">The earlier run whose stored embeddings this run re-scores (no backbone pass for the items it
/// holds; how many: <see cref="RunProgressResponse.ReusedEmbeddings"/>); null when every item is read and embedded.</param>
/// <param name="Knn">Whether the run computes the KNN baseline (<see cref="StartRunRequest.Knn"/>); false: no knn scores, flags or threshold.</param>
/// <param name="ParkedMessages">On a run not yet finished: messages the cluster's consumers parked in error queues, when any.</param>
public sealed record RunResponse(
    Guid Id,
    Guid PoolId,
    string? Pool,
    string Model,
    string ModelVersion,
    string State,
    int Budget,
    double Quantile,
    bool StoreEmbeddings,
    int ShardSize,
    int MaxAttempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Error,
    RunProgressResponse? Progress,
    string OodScore = OodScoreNames.Default,
    ParkedMessagesResponse? ParkedMessages = null,
    bool Incremental = false,
    Guid? EmbeddingsFrom = null,
    bool Knn = true)
{
    /// <summary>Whether the run has ended: nothing about it changes any more.</summary>
    public bool IsFinished => State is RunStates.Completed or RunStates.Failed or RunStates.Cancelled;
}
