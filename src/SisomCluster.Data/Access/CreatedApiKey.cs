namespace SisomCluster.Data.Access;

/// <param name="Secret">The only time the secret exists outside its holder: show it once, never store or log it.</param>
public sealed record CreatedApiKey(ApiKey Key, string Secret);
