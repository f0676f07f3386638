namespace SisomCluster.Server.Api.Exports;

/// <summary>One selected item as the labeling-tool exports write it (<see cref="SelectionExports"/>).</summary>
internal sealed record SelectionExportRow(int Rank, string ItemId, string ImageUrl, double Score, double OriginalScore, int Predicted, string PredictedClass, string Reason, string? Source);
