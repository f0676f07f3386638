using SisomCluster.Core.Scoring;

namespace SisomCluster.Server.Worker;

/// <summary>One item's results: Core's scores as they are, plus what only the worker knows (ids, the kept embedding).</summary>
/// <param name="NearestReference">The item id of the nearest reference; null when the predicted class has none.</param>
public sealed record ScoredItem(
    string Id,
    SisomItemScore Score,
    string? NearestReference,
    float[]? Embedding);
