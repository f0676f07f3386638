using SisomCluster.Core.Scoring;

namespace SisomCluster.Server.Worker;

/// <summary>One item's results: Core's scores as they are, plus what only the worker knows (ids, the kept embedding).</summary>
/// <param name="NearestReference">The item id of the nearest reference; null when the predicted class has none.</param>
/// <param name="Source">The item's source as the pool source read it (stored embeddings only; null for images, whose drift reads <c>items</c>).</param>
/// <param name="CapturedAt">The item's capture time as the pool source read it (as <paramref name="Source"/>).</param>
public sealed record ScoredItem(
    string Id,
    SisomItemScore Score,
    string? NearestReference,
    float[]? Embedding,
    string? Source = null,
    DateTimeOffset? CapturedAt = null);
