namespace SisomCluster.Server.Api.Keys;

/// <param name="Secret">Send as <c>Authorization: Bearer &lt;secret&gt;</c>; it is not stored and cannot be shown again.</param>
internal sealed record CreatedApiKeyResponse(ApiKeyResponse Key, string Secret);
