namespace SisomCluster.Data.Access;

/// <summary>
/// A key of the REST API (<c>api_keys</c>). Only the SHA-256 of the secret is stored: the secret is shown once, when the
/// key is created, and a stolen database does not yield a usable key.
/// </summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>Lower-case scope names (<see cref="ApiScopes"/>).</summary>
    public required string[] Scopes { get; set; }

    /// <summary>SHA-256 of the UTF-8 secret (<see cref="ApiKeySecret.Hash"/>).</summary>
    public required byte[] SecretHash { get; set; }

    /// <summary>The start of the secret (<c>sisom_1a2b3c4d</c>): enough to tell keys apart in listings and to revoke one.</summary>
    public required string Prefix { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }
}
