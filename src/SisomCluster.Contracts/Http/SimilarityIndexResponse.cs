namespace SisomCluster.Contracts.Http;

public sealed record SimilarityIndexResponse(string Index, int Dimensions, string VectorType, bool Created);
