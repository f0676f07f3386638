namespace SisomCluster.Contracts.Http;

/// <param name="Secret">Send as <c>Authorization: Bearer &lt;secret&gt;</c>; it is not stored and cannot be shown again.</param>
public sealed record CreatedApiKeyResponse(ApiKeyResponse Key, string Secret);
