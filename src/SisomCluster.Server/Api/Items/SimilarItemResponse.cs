namespace SisomCluster.Server.Api.Items;

/// <param name="Distance">Cosine distance, 0 (same direction) to 2.</param>
internal sealed record SimilarItemResponse(string ItemId, double Distance);
