using System.Text.Json;
using System.Text.Json.Serialization;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// What every source's shard descriptor starts with: a format version, the kind that wrote it, the shard's index and item
/// count. A kind adds its own fields in a derived record and is the only code that reads them; the JSON stays one flat,
/// snake_case object (<c>{"version":1,"kind":"tar","index":0,"item_count":10,"file_path":"…"}</c>), the format version 1
/// that the <c>shards</c> table has always held. A descriptor that lists its items does so under <c>items</c>
/// (<see cref="PoolSources.ListedItemIds"/>).
/// </summary>
internal abstract record ShardDescription
{
    /// <summary>Bumped when a field changes meaning; a worker refuses descriptors newer than it knows.</summary>
    public const int CurrentVersion = 1;

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [JsonPropertyOrder(-4)]
    public int Version { get; init; } = CurrentVersion;

    [JsonPropertyOrder(-3)]
    public required string Kind { get; init; }

    [JsonPropertyOrder(-2)]
    public required int Index { get; init; }

    [JsonPropertyOrder(-1)]
    public required int ItemCount { get; init; }

    /// <summary>The field(s) a reader of this kind needs and the JSON lacks; null when complete.</summary>
    protected abstract string? Missing();

    /// <summary>Parses a descriptor of kind <paramref name="kind"/> as <typeparamref name="T"/> and checks it.</summary>
    /// <exception cref="InvalidDataException">Not JSON, a newer format, or a field missing.</exception>
    /// <exception cref="ArgumentException">A descriptor of another kind.</exception>
    public static T Parse<T>(string json, string kind)
        where T : ShardDescription
    {
        ArgumentNullException.ThrowIfNull(json);
        T? shard;
        try
        {
            shard = JsonSerializer.Deserialize<T>(json, JsonOptions);
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

        if (!string.Equals(shard.Kind, kind, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"A {kind} source cannot read a {shard.Kind} shard.", nameof(json));
        }

        if (shard.Missing() is { } missing)
        {
            throw new InvalidDataException($"Shard descriptor of kind {shard.Kind} lacks {missing}.");
        }

        return shard;
    }

    public string ToJson() => JsonSerializer.Serialize(this, GetType(), JsonOptions);
}
