namespace SisomCluster.Server.Api.Items;

internal sealed record SimilarityIndexResponse(string Index, int Dimensions, string VectorType, bool Created);
