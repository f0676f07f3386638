namespace SisomCluster.Contracts.Http;

/// <summary>An RFC 7807 problem as the API writes it (every 4xx/5xx); label imports add the listed problems.</summary>
public sealed record ProblemResponse(string? Type, string? Title, int? Status, string? Detail, string? Instance, int? ProblemCount, IReadOnlyList<LabelProblemResponse>? Problems);
