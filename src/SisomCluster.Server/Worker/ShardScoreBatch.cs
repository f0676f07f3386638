namespace SisomCluster.Server.Worker;

/// <summary>
/// What a shard produced since the last batch (<see cref="ShardScorer"/>'s streamed overload): scored items and items
/// that failed; every item of the shard is in exactly one batch's lists, once.
/// </summary>
public sealed record ShardScoreBatch(IReadOnlyList<ScoredItem> Scored, IReadOnlyList<FailedItem> Failed);
