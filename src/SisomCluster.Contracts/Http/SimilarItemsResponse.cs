namespace SisomCluster.Contracts.Http;

/// <param name="Indexed">Whether the run has a valid HNSW index (approximate search); false: exact search by a scan.</param>
public sealed record SimilarItemsResponse(string ItemId, int Dimensions, bool Indexed, IReadOnlyList<SimilarItemResponse> Neighbours);
