using System.Text.Json;
using System.Text.Json.Serialization;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// Which items one shard holds, small enough for a <c>shards</c> row and a message, never the bytes:
/// Directory and Manifest shards list their items (id, uri, source, captured_at); a Tar shard names
/// one tar file; an Embeddings shard is a row range [<see cref="Start"/>, <see cref="End"/>) of an .npy
/// file and the matching lines of its ids file.
/// </summary>
public sealed record ShardDescriptor
{
    /// <summary>Bumped when a field changes meaning; a worker refuses descriptors newer than it knows.</summary>
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };

    public int Version { get; init; } = CurrentVersion;

    public required PoolSourceKind Kind { get; init; }

    /// <summary>Position of the shard in its listing (0-based).</summary>
    public required int Index { get; init; }

    /// <summary>How many items reading the shard yields (duplicates excluded).</summary>
    public required int ItemCount { get; init; }

    /// <summary>Directory and Manifest: the shard's items in order.</summary>
    public IReadOnlyList<PoolItemInfo>? Items { get; init; }

    /// <summary>Tar: the tar file. Embeddings: the .npy file.</summary>
    public string? FilePath { get; init; }

    /// <summary>Embeddings: the ids file (one id per row of the .npy).</summary>
    public string? IdsPath { get; init; }

    /// <summary>Embeddings: byte offset of line <see cref="Start"/> in the ids file, so a worker seeks instead of scanning.</summary>
    public long? IdsOffset { get; init; }

    /// <summary>Embeddings: first row (inclusive).</summary>
    public long? Start { get; init; }

    /// <summary>Embeddings: last row (exclusive).</summary>
    public long? End { get; init; }

    /// <summary>Embeddings: rows in the range whose id repeats an earlier row's; not read.</summary>
    public IReadOnlyList<long>? SkippedRows { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses and checks a descriptor; anything a worker could not read throws <see cref="InvalidDataException"/>.</summary>
    public static ShardDescriptor FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ShardDescriptor? shard;
        try
        {
            shard = JsonSerializer.Deserialize<ShardDescriptor>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Shard descriptor is not valid JSON: {e.Message}", e);
        }

        if (shard is null)
        {
            throw new InvalidDataException("Shard descriptor is JSON null.");
        }

        if (shard.Version > CurrentVersion)
        {
            throw new InvalidDataException($"Shard descriptor has format version {shard.Version}; this build reads up to {CurrentVersion}.");
        }

        string? missing = shard.Kind switch
        {
            PoolSourceKind.Directory or PoolSourceKind.Manifest when shard.Items is null => "items",
            PoolSourceKind.Tar when shard.FilePath is null => "file_path",
            PoolSourceKind.Embeddings when shard.FilePath is null || shard.IdsPath is null || shard.IdsOffset is null || shard.Start is null || shard.End is null =>
                "file_path, ids_path, ids_offset, start or end",
            _ => null,
        };
        if (missing is not null)
        {
            throw new InvalidDataException($"Shard descriptor of kind {shard.Kind} lacks {missing}.");
        }

        return shard;
    }
}
