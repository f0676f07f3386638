namespace SisomCluster.Contracts.Http;

public sealed record SelectionResponse(int Rank, string ItemId, double Score, double OriginalScore, int Predicted, string Reason);
