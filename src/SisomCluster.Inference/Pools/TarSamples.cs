using System.Formats.Tar;
using System.Globalization;
using System.Runtime.CompilerServices;
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
/// <para>
/// Only headers are parsed: a member whose data is not wanted (any member while listing except sidecars, captions and
/// other members while reading) is skipped by its header's size — <see cref="TarReader"/> seeks past it on a file — so
/// neither listing nor reading one member decodes or buffers the bytes before it.
/// </para>
/// </summary>
internal static class TarSamples
{
    /// <summary>Most members one tar may have (WebDataset shards hold thousands); more is a corrupt or hostile file.</summary>
    public const int MaxMembers = 1_000_000;

    /// <summary>Longest member name, in characters (PATH_MAX); a longer one is a corrupt or hostile header.</summary>
    public const int MaxNameLength = 4096;

    /// <summary>Largest JSON sidecar read, in bytes; a larger one is ignored with a warning, unread.</summary>
    public const long MaxSidecarBytes = 1L << 20;

    /// <summary>Deepest JSON nesting in a sidecar (WebDataset metadata is a flat object); deeper is "not JSON".</summary>
    public const int MaxSidecarDepth = 16;

    private static readonly JsonDocumentOptions SidecarOptions = new() { MaxDepth = MaxSidecarDepth };

    public static async IAsyncEnumerable<TarSample> ReadAsync(
        string tarPath, bool withImages, Action<PoolDuplicate>? duplicate = null, Action<string>? warn = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        FileStream stream = Open(tarPath);
        await using (stream.ConfigureAwait(false))
        {
            await foreach (TarSample sample in ReadAsync(stream, Path.GetFileName(tarPath), withImages, duplicate, warn, cancellationToken).ConfigureAwait(false))
            {
                yield return sample;
            }
        }
    }

    /// <summary>The walk over an open stream (seekable, so that skipped members are seeked past).</summary>
    public static async IAsyncEnumerable<TarSample> ReadAsync(
        Stream stream, string tarName, bool withImages, Action<PoolDuplicate>? duplicate = null, Action<string>? warn = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = new TarReader(stream, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            Group? current = null;
            int members = 0;
            while (await NextEntryAsync(reader, tarName, ++members, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (Parse(entry) is not { } member)
                {
                    continue;
                }

                if (current is null || current.Key != member.Key)
                {
                    if (current?.ToSample(seen, tarName, duplicate) is { } sample)
                    {
                        yield return sample;
                    }

                    current = new Group(member.Key);
                }

                if (ImageSources.ImageExtensions.Contains(member.Extension))
                {
                    if (current.ImageMember is not null)
                    {
                        duplicate?.Invoke(new PoolDuplicate(member.Key, $"{tarName}: {entry.Name}"));
                        continue;
                    }

                    current.ImageMember = entry.Name;
                    if (!withImages)
                    {
                        continue;
                    }

                    (current.Image, current.Error) = await ReadImageAsync(entry, tarName, cancellationToken).ConfigureAwait(false);
                }
                else if (member.Extension.Equals(".json", StringComparison.OrdinalIgnoreCase))
                {
                    await ReadSidecarAsync(entry, current, $"{tarName}: {entry.Name}", warn, cancellationToken).ConfigureAwait(false);
                }
            }

            if (current?.ToSample(seen, tarName, duplicate) is { } last)
            {
                yield return last;
            }
        }
    }

    /// <summary>
    /// The bytes of member <paramref name="memberName"/> (the first with that name), walking headers only: the members
    /// before it are skipped by their sizes, never read. Null when the tar has no such member.
    /// </summary>
    public static async Task<(byte[]? Bytes, string? Error)?> ReadMemberAsync(Stream stream, string tarName, string memberName, CancellationToken cancellationToken)
    {
        var reader = new TarReader(stream, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            int members = 0;
            while (await NextEntryAsync(reader, tarName, ++members, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is not null
                    && string.Equals(entry.Name, memberName, StringComparison.Ordinal))
                {
                    return await ReadImageAsync(entry, tarName, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The bytes of the first image member of sample <paramref name="key"/> (whatever its extension: img2dataset writes
    /// <c>.jpg</c>, <c>.png</c> or <c>.webp</c> as asked), walking headers only. Null when the tar has no such sample.
    /// </summary>
    public static async Task<(byte[]? Bytes, string? Error)?> ReadSampleImageAsync(Stream stream, string tarName, string key, CancellationToken cancellationToken)
    {
        var reader = new TarReader(stream, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            int members = 0;
            while (await NextEntryAsync(reader, tarName, ++members, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (Parse(entry) is { } member && member.Key == key && ImageSources.ImageExtensions.Contains(member.Extension))
                {
                    return await ReadImageAsync(entry, tarName, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The next member header, checked: a corrupt header is an <see cref="InvalidDataException"/> naming the tar (whatever
    /// <see cref="TarReader"/> threw), as are more than <see cref="MaxMembers"/> members, a name over
    /// <see cref="MaxNameLength"/> characters and a negative size.
    /// </summary>
    private static async ValueTask<TarEntry?> NextEntryAsync(TarReader reader, string tarName, int number, CancellationToken cancellationToken)
    {
        TarEntry? entry;
        try
        {
            entry = await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or EndOfStreamException or OverflowException or InvalidDataException)
        {
            throw new InvalidDataException($"{tarName}: member {number} has a corrupt header ({OneLine(e.Message)}).", e);
        }

        if (entry is null)
        {
            return null;
        }

        if (number > MaxMembers)
        {
            throw new InvalidDataException($"{tarName}: more than {MaxMembers} members; split it into shards.");
        }

        if (entry.Name.Length > MaxNameLength)
        {
            throw new InvalidDataException($"{tarName}: member {number} has a {entry.Name.Length}-character name; at most {MaxNameLength} are accepted.");
        }

        if (entry.Length < 0)
        {
            throw new InvalidDataException($"{tarName}: member {number} announces a negative size.");
        }

        return entry;
    }

    private static string OneLine(string text) => new(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());

    public static FileStream Open(string tarPath) =>
        new(tarPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);

    private static (string Key, string Extension)? Parse(TarEntry entry)
    {
        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
        {
            return null;
        }

        string name = entry.Name;
        string fileName = name[(name.LastIndexOf('/') + 1)..];
        int dot = fileName.IndexOf('.', StringComparison.Ordinal);
        return dot <= 0 ? null : (name[..(name.Length - fileName.Length + dot)], fileName[fileName.LastIndexOf('.')..]);
    }

    /// <summary>A member's bytes, or why they were not read (over <see cref="PoolItem.MaxBytes"/>: not read at all).</summary>
    private static async Task<(byte[]? Bytes, string? Error)> ReadImageAsync(TarEntry entry, string tarName, CancellationToken cancellationToken)
    {
        if (entry.Length > PoolItem.MaxBytes)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"{tarName}: {entry.Name} is {entry.Length} bytes, more than the {PoolItem.MaxBytes >> 20} MiB an item may have"));
        }

        // Grow with the bytes that arrive, not with the size the header claims: a truncated or crafted tar asks for up to
        // MaxBytes per member in a file of a few kilobytes.
        using var buffer = new MemoryStream((int)Math.Min(entry.Length, 1 << 20));
        await entry.DataStream!.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (buffer.Length != entry.Length)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"{tarName}: {entry.Name} is truncated ({buffer.Length} of {entry.Length} bytes)"));
        }

        return (buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray(), null);
    }

    /// <summary>Takes <c>source</c> and <c>captured_at</c> (or <c>timestamp</c>); a sidecar that says neither, or garbage, only warns.</summary>
    private static async Task ReadSidecarAsync(TarEntry entry, Group group, string where, Action<string>? warn, CancellationToken cancellationToken)
    {
        if (entry.Length > MaxSidecarBytes)
        {
            warn?.Invoke($"{where}: sidecar of {entry.Length} bytes ignored");
            return;
        }

        try
        {
            using JsonDocument document = await JsonDocument.ParseAsync(entry.DataStream!, SidecarOptions, cancellationToken).ConfigureAwait(false);
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
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-8 (found by fuzzing; it ended the whole tar walk).
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
