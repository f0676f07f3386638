namespace SisomCluster.Server.Api.Keys;

internal sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Scopes);
