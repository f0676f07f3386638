using SisomCluster.Core.Scoring;

namespace SisomCluster.Server.Worker;

/// <summary>A scoring context as a worker holds it: the Core context plus the ids its reference indices stand for.</summary>
public sealed record WorkerContext(Guid ContextId, ScoringContext Scoring, IReadOnlyList<string> ReferenceIds);
