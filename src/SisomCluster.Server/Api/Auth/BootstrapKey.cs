using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using SisomCluster.Data.Access;

namespace SisomCluster.Server.Api.Auth;

/// <summary>
/// The operator's <see cref="ApiOptions.BootstrapKey"/>, kept only as its SHA-256 from start-up on and compared in
/// constant time: an admin key that needs no database row, to create the stored keys with.
/// </summary>
internal sealed class BootstrapKey(IOptions<ApiOptions> options)
{
    private readonly byte[]? _hash = string.IsNullOrEmpty(options.Value.BootstrapKey) ? null : ApiKeySecret.Hash(options.Value.BootstrapKey);

    public bool Matches(string secret) => _hash is not null && CryptographicOperations.FixedTimeEquals(_hash, ApiKeySecret.Hash(secret));
}
