namespace SisomCluster.Contracts.Http;

/// <param name="Distance">Cosine distance, 0 (same direction) to 2.</param>
public sealed record SimilarItemResponse(string ItemId, double Distance);
