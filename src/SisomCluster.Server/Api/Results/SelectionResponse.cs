namespace SisomCluster.Server.Api.Results;

internal sealed record SelectionResponse(int Rank, string ItemId, double Score, double OriginalScore, int Predicted, string Reason);
