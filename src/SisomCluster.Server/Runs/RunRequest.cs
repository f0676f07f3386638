namespace SisomCluster.Server.Runs;

/// <summary>What a user asks for when starting a run.</summary>
/// <param name="OodScore">The score that flags OOD and drives drift: sisom, sisome, knn or energy (Core's <c>OodScores</c>).</param>
/// <param name="Incremental">Score only items no earlier completed run scored for the same model and reference version.</param>
/// <param name="PinLabels">Pin the reference set to the pool's labels at creation (a round's run), not at launch.</param>
/// <param name="EmbeddingsFrom">A run id whose stored embeddings to re-score, <c>auto</c> for the newest fitting run, or null (Contracts' <c>StartRunRequest.EmbeddingsFrom</c>).</param>
/// <param name="Knn">Compute the KNN baseline (SISOM.md §7.1); false skips it in the reference phase and every shard.</param>
public sealed record RunRequest(string Pool, string Model, int Budget, double Quantile = 0.95, bool StoreEmbeddings = false, int? ShardSize = null, string OodScore = Core.Scoring.OodScores.Default, bool Incremental = false, bool PinLabels = false, string? EmbeddingsFrom = null, bool Knn = true);
