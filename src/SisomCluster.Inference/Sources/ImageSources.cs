using System.Formats.Tar;

namespace SisomCluster.Inference.Sources;

/// <summary>Streams the images of a directory tree or a WebDataset-style tar shard, in a stable order.</summary>
public static class ImageSources
{
    /// <summary>File extensions taken as images; anything else in a directory or tar is ignored.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp",
    };

    /// <summary>A directory (recursive, ordinal path order) or a .tar file.</summary>
    public static IEnumerable<SourceImage> Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            return FromDirectory(path);
        }

        if (File.Exists(path) && path.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))
        {
            return FromTar(path);
        }

        throw new FileNotFoundException($"{path} is neither a directory nor a .tar file.", path);
    }

    /// <summary>Id = the path relative to <paramref name="root"/>, with '/' separators.</summary>
    public static IEnumerable<SourceImage> FromDirectory(string root)
    {
        string full = Path.GetFullPath(root);
        foreach (string file in Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                     .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
                     .Order(StringComparer.Ordinal))
        {
            yield return new SourceImage(Path.GetRelativePath(full, file).Replace('\\', '/'), File.ReadAllBytes(file));
        }
    }

    /// <summary>
    /// WebDataset convention: members sharing a key (the name up to the first '.' of the file name)
    /// form one sample; its image member becomes one item with id = key. Sidecars (.json, .txt, ...)
    /// are skipped here. A key with two image members is reported, not scored twice.
    /// </summary>
    public static IEnumerable<SourceImage> FromTar(string path, Action<string>? duplicate = null)
    {
        using FileStream stream = File.OpenRead(path);
        using var reader = new TarReader(stream);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
            {
                continue;
            }

            string name = entry.Name;
            string fileName = name[(name.LastIndexOf('/') + 1)..];
            int dot = fileName.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || !ImageExtensions.Contains(fileName[fileName.LastIndexOf('.')..]))
            {
                continue;
            }

            string key = name[..(name.Length - fileName.Length + dot)];
            if (!seen.Add(key))
            {
                duplicate?.Invoke(key);
                continue;
            }

            var bytes = new byte[entry.Length];
            entry.DataStream.ReadExactly(bytes);
            yield return new SourceImage(key, bytes);
        }
    }
}
