using System.Formats.Tar;
using System.Globalization;
using System.Text.Json;
using SisomCluster.Inference.Sources;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// Walks a WebDataset tar sequentially. Members sharing a key (the member name up to the first '.' of
/// its file name) form one sample; WebDataset writes a sample's members next to each other, so a sample
/// ends when the key changes and only one sample is held in memory, whatever order its members come in
/// (a.jpg before a.json, or after). The first image member of the first group with a key is the item; a
/// second image member, or the key again later in the tar, is a duplicate. Listing and reading share
/// this walk, so they agree on every item.
/// </summary>
internal static class TarSamples
{
    /// <summary>A member larger than this is not loaded: no encoded image is that large, and it would cost the worker its memory.</summary>
    public const long MaxImageBytes = 256L << 20;

    private const long MaxSidecarBytes = 1L << 20;

    public static IEnumerable<TarSample> Read(string tarPath, bool withImages, Action<PoolDuplicate>? duplicate = null, Action<string>? warn = null)
    {
        string tarName = Path.GetFileName(tarPath);
        using var stream = new FileStream(tarPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        using var reader = new TarReader(stream);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Group? current = null;
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
            {
                continue;
            }

            string name = entry.Name;
            string fileName = name[(name.LastIndexOf('/') + 1)..];
            int dot = fileName.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0)
            {
                continue;
            }

            string key = name[..(name.Length - fileName.Length + dot)];
            if (current is null || current.Key != key)
            {
                if (current?.ToSample(seen, tarName, duplicate) is { } sample)
                {
                    yield return sample;
                }

                current = new Group(key);
            }

            string extension = fileName[fileName.LastIndexOf('.')..];
            if (ImageSources.ImageExtensions.Contains(extension))
            {
                if (current.ImageMember is not null)
                {
                    duplicate?.Invoke(new PoolDuplicate(key, $"{tarName}: {name}"));
                    continue;
                }

                current.ImageMember = name;
                if (!withImages)
                {
                    continue;
                }

                if (entry.Length > MaxImageBytes)
                {
                    current.Error = string.Create(CultureInfo.InvariantCulture, $"{tarName}: {name} is {entry.Length} bytes, more than the {MaxImageBytes >> 20} MiB an image may have");
                    continue;
                }

                current.Image = new byte[entry.Length];
                entry.DataStream.ReadExactly(current.Image);
            }
            else if (extension.Equals(".json", StringComparison.OrdinalIgnoreCase))
            {
                ReadSidecar(entry, current, $"{tarName}: {name}", warn);
            }
        }

        if (current?.ToSample(seen, tarName, duplicate) is { } last)
        {
            yield return last;
        }
    }

    /// <summary>Takes <c>source</c> and <c>captured_at</c> (or <c>timestamp</c>); a sidecar that says neither, or garbage, only warns.</summary>
    private static void ReadSidecar(TarEntry entry, Group group, string where, Action<string>? warn)
    {
        if (entry.Length > MaxSidecarBytes)
        {
            warn?.Invoke($"{where}: sidecar of {entry.Length} bytes ignored");
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(entry.DataStream!);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            JsonElement root = document.RootElement;
            if (root.TryGetProperty("source", out JsonElement source) && source.ValueKind == JsonValueKind.String)
            {
                group.Source = source.GetString();
            }

            if ((root.TryGetProperty("captured_at", out JsonElement at) || root.TryGetProperty("timestamp", out at)) && at.ValueKind != JsonValueKind.Null)
            {
                if (PoolTimestamps.TryParseJson(at, out DateTimeOffset value))
                {
                    group.CapturedAt = value;
                }
                else
                {
                    warn?.Invoke($"{where}: capture time {at.GetRawText()} is neither ISO-8601 nor Unix seconds; ignored");
                }
            }
        }
        catch (JsonException e)
        {
            warn?.Invoke($"{where}: sidecar is not JSON ({e.Message}); ignored");
        }
    }

    private sealed class Group(string key)
    {
        public string Key { get; } = key;

        public string? ImageMember { get; set; }

        public byte[]? Image { get; set; }

        public string? Source { get; set; }

        public DateTimeOffset? CapturedAt { get; set; }

        public string? Error { get; set; }

        public TarSample? ToSample(HashSet<string> seen, string tarName, Action<PoolDuplicate>? duplicate)
        {
            if (ImageMember is null)
            {
                return null;
            }

            if (!seen.Add(Key))
            {
                duplicate?.Invoke(new PoolDuplicate(Key, $"{tarName}: {ImageMember}"));
                return null;
            }

            return new TarSample(Key, ImageMember, Image, Source, CapturedAt, Error);
        }
    }
}
