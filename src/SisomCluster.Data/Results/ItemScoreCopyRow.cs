namespace SisomCluster.Data.Results;

/// <summary>What one <c>item_scores</c> COPY row is written from: the shard's keys and the worker's row.</summary>
internal readonly record struct ItemScoreCopyRow(Guid RunId, int ShardId, ItemScoreRow Row);
