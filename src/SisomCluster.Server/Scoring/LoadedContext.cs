using SisomCluster.Core.Scoring;

namespace SisomCluster.Server.Scoring;

/// <summary>A stored scoring context as loaded by <see cref="ContextStore"/>: the Core context plus the ids its reference indices stand for.</summary>
public sealed record LoadedContext(Guid ContextId, ScoringContext Scoring, IReadOnlyList<string> ReferenceIds);
