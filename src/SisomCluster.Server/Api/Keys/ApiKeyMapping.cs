using SisomCluster.Contracts.Http;
using SisomCluster.Data.Access;

namespace SisomCluster.Server.Api.Keys;

/// <summary>API keys as the API lists them: never the secret.</summary>
internal static class ApiKeyMapping
{
    public static ApiKeyResponse ToResponse(ApiKey k) => new(k.Id, k.Name, k.Prefix, k.Scopes, k.CreatedAt, k.RevokedAt, k.LastUsedAt);
}
