namespace SisomCluster.Contracts.Http;

/// <summary>The names of a run's classes (<c>GET /api/v1/runs/{id}/classes</c>), for showing predicted classes and labels by name.</summary>
/// <param name="Source">
/// manifest (the model's own head, names from its manifest's <c>class_names</c>), labels (a head fitted on the pool's labels,
/// names given when they were imported: <c>?class_names=</c>) or none.
/// </param>
/// <param name="Names">One entry per class index 0..K−1; null where no name is known.</param>
public sealed record RunClassesResponse(string Source, IReadOnlyList<string?> Names);
