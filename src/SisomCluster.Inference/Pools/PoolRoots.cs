namespace SisomCluster.Inference.Pools;

/// <summary>
/// The folders an operator allows pools to read from (<c>Pools__AllowedRoots</c>), held as real paths (symbolic links
/// resolved). Empty is unconfined: any path the process can read (the development default). A path lies in the roots
/// when its own real path is one of them or lies under one, so <c>..</c> and a symbolic link out of a root lie outside.
/// </summary>
public sealed class PoolRoots
{
    private readonly string[] _roots;

    public PoolRoots(IEnumerable<string>? roots)
    {
        _roots = [.. (roots ?? []).Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => FileItems.RealPath(r.Trim())).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>No roots configured: every path is allowed.</summary>
    public static PoolRoots Unconfined { get; } = new([]);

    /// <summary>Whether any root is configured.</summary>
    public bool IsConfined => _roots.Length > 0;

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

        string real = FileItems.RealPath(path);
        return _roots.Any(root => FileItems.IsUnder(root, real));
    }

    /// <summary>Whether <paramref name="path"/> lies under a configured root; false when unconfined (no root to lie in).</summary>
    public bool Holds(string path) => IsConfined && Allows(path);
}
