namespace SisomCluster.Server.Runs;

/// <summary>What a user asks for when starting a run.</summary>
public sealed record RunRequest(string Pool, string Model, int Budget, double Quantile = 0.95, bool StoreEmbeddings = false, int? ShardSize = null);
