namespace SisomCluster.Data.Monitoring;

/// <summary>One selected item with the scores the gallery shows.</summary>
public sealed record SelectedItemRow(int Rank, string ItemId, double Score, int Predicted, double? Sisome, double? Energy, bool FlaggedOod);
