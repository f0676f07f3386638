namespace SisomCluster.Server.Api.Auth;

/// <summary>Claims of an authenticated API caller.</summary>
internal static class ApiClaims
{
    public const string Scope = "scope";

    public const string KeyId = "key_id";

    public const string KeyPrefix = "key_prefix";
}
