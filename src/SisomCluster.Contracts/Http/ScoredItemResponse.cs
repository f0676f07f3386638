namespace SisomCluster.Contracts.Http;

/// <summary>One row of <c>GET /api/v1/runs/{run}/scores</c>: an item and its scores in the run.</summary>
public sealed record ScoredItemResponse(string ItemId, ItemScoresResponse Scores);
