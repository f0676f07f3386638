using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;

namespace SisomCluster.Data.Access;

/// <summary>Creates, revokes and checks API keys (<c>api_keys</c>): the CLI's <c>sisom apikey</c> and the api role.</summary>
public sealed class ApiKeyStore
{
    /// <summary>last_used_at is a hint for operators, not an audit log: written at most this often per key.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public const int MaxNameLength = 200;

    private readonly SisomDbContext _db;
    private readonly TimeProvider _time;

    public ApiKeyStore(SisomDbContext db, TimeProvider time)
    {
        _db = db;
        _time = time;
    }

    /// <exception cref="ArgumentException">An empty or over-long name, or bad scopes (the message names which).</exception>
    public async Task<CreatedApiKey> CreateAsync(string name, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength)
        {
            throw new ArgumentException($"name: give 1 to {MaxNameLength} characters.", nameof(name));
        }

        string[] parsed = ApiScopes.Parse(string.Join(',', scopes));
        string secret = ApiKeySecret.Generate();
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(),
            Name = name.Trim(),
            Scopes = parsed,
            SecretHash = ApiKeySecret.Hash(secret),
            Prefix = ApiKeySecret.PrefixOf(secret),
            CreatedAt = _time.GetUtcNow(),
        };
        _db.ApiKeys.Add(key);
        await _db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return new CreatedApiKey(key, secret);
    }

    /// <summary>Revokes the key with id or prefix <paramref name="idOrPrefix"/>; revoking twice keeps the first time.</summary>
    /// <returns>The key, or null when no key has that id or prefix.</returns>
    public async Task<ApiKey?> RevokeAsync(string idOrPrefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(idOrPrefix);
        string text = idOrPrefix.Trim();
        ApiKey? key = Guid.TryParse(text, out Guid id)
            ? await _db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, cancellationToken).ConfigureAwait(false)
            : await _db.ApiKeys.SingleOrDefaultAsync(k => k.Prefix == ApiKeySecret.PrefixOf(text), cancellationToken).ConfigureAwait(false);
        if (key is null)
        {
            return null;
        }

        if (key.RevokedAt is null)
        {
            key.RevokedAt = _time.GetUtcNow();
            await _db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        return key;
    }

    /// <summary>The live (not revoked) key whose secret is <paramref name="secret"/>, or null.</summary>
    public async Task<ApiKey?> AuthenticateAsync(string secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secret);
        byte[] hash = ApiKeySecret.Hash(secret);
        ApiKey? key = await _db.ApiKeys.AsNoTracking()
            .SingleOrDefaultAsync(k => k.SecretHash == hash && k.RevokedAt == null, cancellationToken).ConfigureAwait(false);

        // The index found the row by hash; compare again in constant time so no timing difference depends on the secret.
        if (key is null || !CryptographicOperations.FixedTimeEquals(key.SecretHash, hash))
        {
            return null;
        }

        DateTimeOffset now = _time.GetUtcNow();
        if (key.LastUsedAt is null || now - key.LastUsedAt.Value >= LastUsedResolution)
        {
            await _db.ApiKeys.Where(k => k.Id == key.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(k => k.LastUsedAt, now), cancellationToken).ConfigureAwait(false);
            key.LastUsedAt = now;
        }

        return key;
    }

    /// <summary>Every key, newest first (keys are few: an operator's handful, not a paged collection).</summary>
    public Task<List<ApiKey>> ListAsync(CancellationToken cancellationToken = default) =>
        _db.ApiKeys.AsNoTracking().OrderByDescending(k => k.CreatedAt).ThenBy(k => k.Prefix).ToListAsync(cancellationToken);
}
