namespace SisomCluster.Contracts.Http;

public sealed record PoolResponse(Guid Id, string Name, string SourceKind, string SourceUri, int ItemCount, int Labeled, DateTimeOffset CreatedAt);
