using SisomCluster.Inference.Sources;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// The folders an operator allows pools to read from (<c>Pools__AllowedRoots</c>), held as real paths (symbolic links
/// resolved). Empty is unconfined: any path the process can read (the development default). A path lies in the roots
/// when its own real path is one of them or lies under one, so <c>..</c> and a symbolic link out of a root lie outside.
/// <para>
/// An entry <c>s3://bucket/prefix</c> allows that bucket's objects under that prefix (<c>s3://bucket</c>: the whole
/// bucket); an s3:// location lies in the roots when it is under one of them, compared by bucket and key prefix on '/'
/// boundaries. Once any root is configured, a location no root covers — a path or an s3:// folder — is outside.
/// </para>
/// </summary>
public sealed class PoolRoots
{
    private readonly string[] _roots;
    private readonly S3Uri[] _buckets;

    public PoolRoots(IEnumerable<string>? roots)
    {
        string[] entries = [.. (roots ?? []).Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => r.Trim())];
        _roots = [.. entries.Where(r => !S3Uri.IsS3(r)).Select(FileItems.RealPath).Distinct(StringComparer.Ordinal)];
        _buckets = [.. entries.Where(S3Uri.IsS3).Select(r => S3Uri.Parse(r).AsFolder()).Distinct()];
    }

    /// <summary>No roots configured: every path is allowed.</summary>
    public static PoolRoots Unconfined { get; } = new([]);

    /// <summary>Whether any root (a folder or an s3:// prefix) is configured.</summary>
    public bool IsConfined => _roots.Length > 0 || _buckets.Length > 0;

    /// <summary>The s3:// prefixes allowed (empty when none is configured).</summary>
    public IReadOnlyList<string> Buckets => [.. _buckets.Select(b => b.ToString())];

    /// <summary>The roots as real paths (empty when unconfined).</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary>Whether <paramref name="path"/> (as real path) is a root or lies under one; always true when unconfined.</summary>
    public bool Allows(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!IsConfined)
        {
            return true;
        }

        if (S3Uri.IsS3(path))
        {
            S3Uri location;
            try
            {
                location = S3Uri.Parse(path);
            }
            catch (ArgumentException)
            {
                return false;
            }

            return _buckets.Any(location.IsUnder);
        }

        string real = FileItems.RealPath(path);
        return _roots.Any(root => FileItems.IsUnder(root, real));
    }

    /// <summary>Whether <paramref name="path"/> lies under a configured root; false when unconfined (no root to lie in).</summary>
    public bool Holds(string path) => IsConfined && Allows(path);
}
