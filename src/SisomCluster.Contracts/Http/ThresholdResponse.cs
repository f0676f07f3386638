namespace SisomCluster.Contracts.Http;

public sealed record ThresholdResponse(
    string ScoreKind, double Quantile, int N, double Value, Guid ContextId, string ModelVersion, string ReferenceVersion, DateTimeOffset CreatedAt);
