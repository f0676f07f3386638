namespace SisomCluster.Contracts.Http;

public sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Scopes);
