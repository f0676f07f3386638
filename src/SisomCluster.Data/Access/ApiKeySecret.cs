using System.Security.Cryptography;
using System.Text;

namespace SisomCluster.Data.Access;

/// <summary>
/// The secret of an API key: <c>sisom_</c>, 8 hex digits (the displayed prefix), <c>_</c>, then 32 random bytes in
/// base64url. 256 random bits make a plain SHA-256 a safe stored form (no salt or slow hash needed: nothing to guess).
/// </summary>
public static class ApiKeySecret
{
    public const string Scheme = "sisom_";

    /// <summary>Length of <see cref="PrefixOf"/>: the scheme and the 8 hex digits.</summary>
    public const int PrefixLength = 14;

    public static string Generate()
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        string secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Scheme}{id}_{secret}";
    }

    public static string PrefixOf(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return secret.Length >= PrefixLength ? secret[..PrefixLength] : secret;
    }

    public static byte[] Hash(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return SHA256.HashData(Encoding.UTF8.GetBytes(secret));
    }
}
