namespace SisomCluster.Inference.Sources;

/// <summary>
/// An <c>s3://bucket/prefix</c> location: a bucket and a key prefix. A pool's prefix names a folder (it ends in '/' once
/// normalised, so <c>s3://b/crawl</c> never takes in <c>s3://b/crawl-old/…</c>); an object is a bucket and a full key.
/// </summary>
public sealed record S3Uri(string Bucket, string Key)
{
    public const string Scheme = "s3://";

    /// <summary>Whether <paramref name="uri"/> starts with <c>s3://</c> (case-insensitive).</summary>
    public static bool IsS3(string? uri) => uri is not null && uri.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>s3://bucket[/key]</c>.</summary>
    /// <exception cref="ArgumentException">Not an s3 uri, no bucket, a bucket name S3 would refuse, or a key with <c>..</c> segments.</exception>
    public static S3Uri Parse(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (!IsS3(uri))
        {
            throw new ArgumentException($"{uri}: not an s3:// uri.", nameof(uri));
        }

        string rest = uri[Scheme.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string bucket = slash < 0 ? rest : rest[..slash];
        string key = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
        {
            throw new ArgumentException($"{uri}: '{bucket}' is not an S3 bucket name (3–63 lower-case letters, digits, '-' and '.').", nameof(uri));
        }

        if (key.Split('/').Any(part => part is "." or "..") || key.Contains("//", StringComparison.Ordinal) || key.Any(char.IsControl))
        {
            throw new ArgumentException($"{uri}: a key with '.', '..' or empty segments is not accepted.", nameof(uri));
        }

        return new S3Uri(bucket, key);
    }

    /// <summary>The same location as a folder: its key empty or ending in '/'.</summary>
    public S3Uri AsFolder() => Key.Length == 0 || Key.EndsWith('/') ? this : this with { Key = Key + "/" };

    /// <summary>Whether this (an object or folder) lies in <paramref name="folder"/> (same bucket, key under its prefix).</summary>
    public bool IsUnder(S3Uri folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        S3Uri root = folder.AsFolder();
        return string.Equals(Bucket, root.Bucket, StringComparison.Ordinal)
            && (AsFolder().Key.StartsWith(root.Key, StringComparison.Ordinal));
    }

    /// <summary>The object <paramref name="name"/> directly in this folder.</summary>
    public S3Uri Child(string name) => new(Bucket, AsFolder().Key + name);

    /// <summary>The last segment of the key (the object's file name).</summary>
    public string Name => Key[(Key.TrimEnd('/').LastIndexOf('/') + 1)..].TrimEnd('/');

    public override string ToString() => $"{Scheme}{Bucket}/{Key}";
}
