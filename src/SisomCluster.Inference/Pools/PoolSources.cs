using System.Text.Json;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// The registry of pool source kinds: the one place that knows which kinds exist. It opens a source from the (kind, uri)
/// text a <c>pools</c> row stores, or detects the kind from what a uri names. Everything else (listing, reading, shard
/// descriptors, item uris such as <c>tar#member</c>) is the source's own business behind <see cref="IPoolSource"/>.
/// A new kind is one class implementing <see cref="IPoolSource"/> plus one line in <see cref="Registered"/>.
/// </summary>
public static class PoolSources
{
    /// <summary>
    /// In detection order: the first kind whose <c>Claims</c> accepts a uri is its kind (a folder of tars is Tar before it
    /// is Directory).
    /// </summary>
    private static readonly Registration[] Registered =
    [
        new(TarPoolSource.KindName, TarPoolSource.Claims, TarPoolSource.Names, (uri, _) => new TarPoolSource(uri)),
        new(DirectoryPoolSource.KindName, DirectoryPoolSource.Claims, Directory.Exists, (uri, roots) => new DirectoryPoolSource(uri, roots)),
        new(ManifestPoolSource.KindName, ManifestPoolSource.Claims, File.Exists, (uri, roots) => new ManifestPoolSource(uri, roots)),
        new(EmbeddingsPoolSource.KindName, EmbeddingsPoolSource.Claims, File.Exists, (uri, _) => new EmbeddingsPoolSource(uri)),
    ];

    /// <summary>The kind names, lower case, in detection order.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [.. Registered.Select(r => r.Name)];

    /// <summary>Whether <paramref name="kind"/> names a registered kind (case-insensitive).</summary>
    public static bool IsKind(string? kind) => Find(kind) is not null;

    /// <summary>Opens <paramref name="uri"/> as a source of <paramref name="kind"/> (as stored: case-insensitive), unconfined.</summary>
    /// <exception cref="ArgumentException">An unknown kind.</exception>
    public static IPoolSource Open(string kind, string uri) => Open(kind, uri, PoolRoots.Unconfined);

    /// <summary>
    /// Opens <paramref name="uri"/> as a source of <paramref name="kind"/> confined to <paramref name="roots"/>: its
    /// <see cref="IPoolSource.Location"/> must lie in them (as a real path), and it reads items only there.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown kind.</exception>
    /// <exception cref="PoolOutsideRootsException">The source lies outside the roots (the message names no path).</exception>
    public static IPoolSource Open(string kind, string uri, PoolRoots roots)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        ArgumentNullException.ThrowIfNull(roots);
        Registration registration = Find(kind)
            ?? throw new ArgumentException($"unknown source kind '{kind}'; use {string.Join(", ", Kinds)}.", nameof(kind));
        IPoolSource source = registration.Open(uri, roots);
        return roots.Allows(source.Location) ? source : throw new PoolOutsideRootsException();
    }

    /// <summary>Opens <paramref name="uri"/> as the kind <see cref="Detect"/> finds.</summary>
    public static IPoolSource Open(string uri) => Open(Detect(uri), uri);

    /// <summary>Opens <paramref name="uri"/> as the kind <see cref="Detect"/> finds, confined to <paramref name="roots"/>.</summary>
    public static IPoolSource Open(string uri, PoolRoots roots) => Open(Detect(uri), uri, roots);

    /// <summary>
    /// The path a source named <paramref name="uri"/> reads under, told without touching the file system: the folder of
    /// a tar pattern (<c>dir/shard-*.tar</c>), else the path itself (absolute). For a check before the source is opened.
    /// </summary>
    public static string LocationOf(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return TarPoolSource.HasWildcard(Path.GetFileName(uri))
            ? Path.GetFullPath(Path.GetDirectoryName(uri) is { Length: > 0 } folder ? folder : ".")
            : Path.GetFullPath(uri);
    }

    /// <summary>
    /// Whether <paramref name="uri"/> names something a source of <paramref name="kind"/> (or, when null, of any kind)
    /// can read: an existing file or directory, or a tar pattern whose folder exists. Registration asks this before it
    /// lists, so that a missing source is a plain "not found" (a remote kind answers for its own store).
    /// </summary>
    public static bool Exists(string? kind, string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return string.IsNullOrEmpty(kind)
            ? Registered.Any(r => r.Exists(uri))
            : Find(kind) is { } registration && registration.Exists(uri);
    }

    /// <summary>
    /// The first registered kind that claims <paramref name="uri"/>: a directory holding <c>*.tar</c> files (top level),
    /// a wildcard file name (<c>dir/shard-*.tar</c>) or a <c>.tar</c> file is Tar; any other directory is Directory;
    /// <c>.csv</c>, <c>.jsonl</c> and <c>.ndjson</c> are Manifest; <c>.npy</c> is Embeddings (ids file: see
    /// <see cref="EmbeddingsPoolSource.FindIdsFile"/>). Anything else is an <see cref="ArgumentException"/> naming what is
    /// accepted.
    /// </summary>
    public static string Detect(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return Registered.FirstOrDefault(r => r.Claims(uri))?.Name
            ?? throw new ArgumentException(
                $"{uri}: cannot tell the pool kind; name a directory, a .tar file or pattern (dir/shard-*.tar), a .csv/.jsonl manifest or an .npy embeddings file.",
                nameof(uri));
    }

    /// <summary>
    /// The item ids a shard descriptor lists, for a descriptor that lists its items (under <c>items</c>, each with an
    /// <c>id</c>: directory and manifest shards); null for one that only names a container (tar, row range), whose ids
    /// take reading it. Used to account for a failed shard's items and to skip shards without labeled items.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a JSON object.</exception>
    public static IReadOnlyList<string>? ListedItemIds(string descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        try
        {
            using var document = JsonDocument.Parse(descriptor);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("Shard descriptor is not a JSON object.");
            }

            if (!document.RootElement.TryGetProperty("items", out JsonElement items) || items.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            return [.. items.EnumerateArray().Select(i => i.TryGetProperty("id", out JsonElement id) ? id.GetString() ?? string.Empty : string.Empty)];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Shard descriptor is not valid JSON: {e.Message}", e);
        }
    }

    private static Registration? Find(string? kind) =>
        string.IsNullOrEmpty(kind) ? null : Array.Find(Registered, r => r.Name.Equals(kind, StringComparison.OrdinalIgnoreCase));

    private sealed record Registration(string Name, Func<string, bool> Claims, Func<string, bool> Exists, Func<string, PoolRoots, IPoolSource> Open);
}
