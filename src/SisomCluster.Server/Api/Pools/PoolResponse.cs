namespace SisomCluster.Server.Api.Pools;

internal sealed record PoolResponse(Guid Id, string Name, string SourceKind, string SourceUri, int ItemCount, int Labeled, DateTimeOffset CreatedAt);
