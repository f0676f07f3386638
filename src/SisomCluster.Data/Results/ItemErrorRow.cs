namespace SisomCluster.Data.Results;

/// <summary>One item the worker could not score; run and shard come from the commit call.</summary>
public sealed record ItemErrorRow(string ItemId, string Reason, string Detail, DateTimeOffset At);
