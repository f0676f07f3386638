namespace SisomCluster.Contracts.Http;

/// <param name="Partial">True while the run is not completed: the threshold is its scoring context's, known before scoring.</param>
public sealed record ThresholdResponse(
    string ScoreKind, double Quantile, int N, double Value, Guid ContextId, string ModelVersion, string ReferenceVersion, DateTimeOffset CreatedAt, bool Partial = false);
