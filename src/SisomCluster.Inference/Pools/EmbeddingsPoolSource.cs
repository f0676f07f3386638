using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// Stored embeddings, for re-scoring without images: an N×D float32 or float64 .npy file and an ids
/// file of N lines (line i names row i). Without an explicit ids file, <c>&lt;name&gt;.ids.txt</c>
/// beside <c>&lt;name&gt;.npy</c> is used, else <c>ids.txt</c> in the same folder (the layout of one
/// embedding set per folder). Shards are row ranges; reading one seeks to its rows and reads only them.
/// Float64 rows are narrowed to float32, the precision scoring runs in.
/// </summary>
public sealed class EmbeddingsPoolSource : IPoolSource
{
    private readonly string _npyPath;
    private readonly string? _idsPath;

    public EmbeddingsPoolSource(string npyPath, string? idsPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(npyPath);
        Uri = npyPath;
        _npyPath = Path.GetFullPath(npyPath);
        _idsPath = idsPath is null ? null : Path.GetFullPath(idsPath);
    }

    /// <summary>The registered kind name.</summary>
    public const string KindName = "embeddings";

    public string Kind => KindName;

    public string Uri { get; }

    /// <summary>The .npy file.</summary>
    public string Location => _npyPath;

    public bool HoldsImages => false;

    /// <summary>Detection: an <c>.npy</c> file name.</summary>
    public static bool Claims(string uri) => Path.GetExtension(uri).Equals(".npy", StringComparison.OrdinalIgnoreCase);

    /// <summary>The ids file used for <paramref name="npyPath"/> when none is named: <c>x.ids.txt</c> beside <c>x.npy</c>, else <c>ids.txt</c>.</summary>
    public static string FindIdsFile(string npyPath)
    {
        string full = Path.GetFullPath(npyPath);
        string folder = Path.GetDirectoryName(full)!;
        string named = Path.Combine(folder, Path.GetFileNameWithoutExtension(full) + ".ids.txt");
        string plain = Path.Combine(folder, "ids.txt");
        return File.Exists(named) ? named
            : File.Exists(plain) ? plain
            : throw new FileNotFoundException($"{npyPath}: no ids file; expected {named} or {plain} (one id per row).", named);
    }

    public async IAsyncEnumerable<ListedShard> ListAsync(int shardSize, Action<string>? report = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        NpyMatrixHeader header = NpyMatrixHeader.Read(_npyPath);
        string idsPath = _idsPath ?? FindIdsFile(_npyPath);
        var firstRow = new Dictionary<string, long>(StringComparer.Ordinal);
        // A shard's items as ids and rows: their PoolItemInfo (uri npy#row) is made only if someone asks (EmbeddingsShardItems),
        // and a launch that does not register items never does (10⁶ items: ~0.3 s of the coordinator's listing).
        var itemIds = new List<string>(Math.Min(shardSize, 1 << 16));
        var itemRows = new List<long>(Math.Min(shardSize, 1 << 16));
        var duplicates = new List<PoolDuplicate>();
        var skipped = new List<long>();
        int index = 0;
        int duplicateCount = 0;
        long row = 0;
        long shardStart = 0;
        long shardOffset = 0;
        await foreach ((string id, long offset) in IdLines.ReadAsync(idsPath, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row % shardSize == 0)
            {
                if (row > shardStart)
                {
                    yield return CloseShard(row);
                }

                shardStart = row;
                shardOffset = offset;
            }

            if (id.Length == 0)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{idsPath}: line {row + 1} is empty; every row needs an id."));
            }

            if (firstRow.TryAdd(id, row))
            {
                itemIds.Add(id);
                itemRows.Add(row);
            }
            else
            {
                duplicates.Add(new PoolDuplicate(id, string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(idsPath)} line {row + 1} (first at line {firstRow[id] + 1})")));
                skipped.Add(row);
                duplicateCount++;
            }

            row++;
        }

        if (row != header.Rows)
        {
            throw new InvalidDataException($"{idsPath} has {row} ids, {Uri} has {header.Rows} rows: there must be exactly one id per row.");
        }

        if (row > shardStart)
        {
            yield return CloseShard(row);
        }

        report?.Invoke($"{Uri}: {header.Rows}×{header.Columns} {header.DataType}, {index} shards, {duplicateCount} duplicate ids skipped");

        // Ends the shard [shardStart, end): its descriptor, items and duplicates, and starts the next one empty.
        ListedShard CloseShard(long end)
        {
            string json = new EmbeddingsShard
            {
                Kind = Kind,
                Index = index,
                ItemCount = (int)(end - shardStart - skipped.Count),
                FilePath = _npyPath,
                IdsPath = idsPath,
                IdsOffset = shardOffset,
                Start = shardStart,
                End = end,
                SkippedRows = skipped.Count > 0 ? skipped.ToArray() : null,
            }.ToJson();
            var shard = new ListedShard(index++, itemIds.Count, json, new EmbeddingsShardItems(_npyPath, [.. itemIds], [.. itemRows]), duplicates.ToArray());
            itemIds.Clear();
            itemRows.Clear();
            duplicates.Clear();
            skipped.Clear();
            return shard;
        }
    }

    public async IAsyncEnumerable<PoolItem> ReadAsync(string descriptor, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // One reader of rows (ReadBlocksAsync): an item is a row of a small block, copied out into its own array.
        await foreach (EmbeddingBlock block in ReadBlocksAsync(descriptor, ItemBlockRows, cancellationToken).ConfigureAwait(false))
        {
            for (int i = 0; i < block.Count; i++)
            {
                yield return new PoolItem { Id = block.Ids[i], Embedding = block.Features.AsSpan(i * block.Dimension, block.Dimension).ToArray() };
            }
        }
    }

    /// <summary>Rows a block of <see cref="ReadAsync"/> holds (128 KB of 512-d float32 rows).</summary>
    private const int ItemBlockRows = 64;

    /// <summary>
    /// The rows of the shard <paramref name="descriptor"/> — the listing's ids in order, duplicate rows skipped, float64
    /// narrowed to float32 — up to <paramref name="maxRows"/> rows at a time: float32 rows are read straight into the
    /// block's feature array, with no array per item. <see cref="ReadAsync"/> is these rows as items. What a worker re-scoring stored embeddings
    /// reads (10⁶ rows: 2 GB of per-item arrays and their garbage collection less; docs/results/bench-rescore-noknn.md).
    /// </summary>
    public async IAsyncEnumerable<EmbeddingBlock> ReadBlocksAsync(string descriptor, int maxRows, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);

        // The rows' little-endian bytes become floats as they are (like NpyFile and NpyRowReader).
        NpyFile.EnsureLittleEndianHost();
        (EmbeddingsShard shard, NpyMatrixHeader header, string ownIds) = Open(descriptor);
        long start = shard.Start!.Value;
        long end = shard.End!.Value;
        var skip = new HashSet<long>(shard.SkippedRows ?? []);
        int dimension = header.Columns;
        int rowBytes = checked((int)header.RowBytes);

        // A block's bytes are one span: at most Array.MaxLength of them, however large maxRows is.
        int blockRows = (int)Math.Max(1, Math.Min(Math.Min(maxRows, end - start), Array.MaxLength / Math.Max(rowBytes, 1)));
        using SafeFileHandle file = File.OpenHandle(_npyPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        IAsyncEnumerator<(string Id, long Offset)> ids = IdLines.ReadAsync(ownIds, shard.IdsOffset!.Value, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using var disposeIds = ids.ConfigureAwait(false);
        byte[]? staging = null;
        for (long row = start; row < end;)
        {
            int n = (int)Math.Min(blockRows, end - row);
            var blockIds = new List<string>(n);
            for (int i = 0; i < n; i++)
            {
                if (!await ids.MoveNextAsync().ConfigureAwait(false))
                {
                    throw new InvalidDataException($"{Path.GetFileName(ownIds)} ends before row {row + i}; it changed since the pool was listed.");
                }

                if (!skip.Contains(row + i))
                {
                    blockIds.Add(ids.Current.Id);
                }
            }

            long offset = header.DataOffset + (row * header.RowBytes);
            float[] features = GC.AllocateUninitializedArray<float>(blockIds.Count * dimension);
            if (header.DataType == NpyDataType.Float32 && blockIds.Count == n)
            {
                // The common case: the rows' bytes are the block's floats.
                ReadExactly(file, MemoryMarshal.AsBytes(features.AsSpan()), offset);
            }
            else
            {
                staging ??= new byte[blockRows * rowBytes];
                Span<byte> bytes = staging.AsSpan(0, n * rowBytes);
                ReadExactly(file, bytes, offset);
                int kept = 0;
                for (int i = 0; i < n; i++)
                {
                    if (skip.Contains(row + i))
                    {
                        continue;
                    }

                    ToSingle(bytes.Slice(i * rowBytes, rowBytes), header.DataType, features.AsSpan(kept * dimension, dimension));
                    kept++;
                }
            }

            row += n;
            if (blockIds.Count > 0)
            {
                yield return new EmbeddingBlock([.. blockIds], features, dimension);
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> from <paramref name="offset"/> with positional reads (one block, a few MB of a local
    /// file: synchronous, as a span over the block's floats cannot be awaited); a file that ends first was truncated since
    /// it was listed.
    /// </summary>
    private void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        while (buffer.Length > 0)
        {
            int read = RandomAccess.Read(file, buffer, offset);
            if (read == 0)
            {
                throw new InvalidDataException($"{Path.GetFileName(_npyPath)} ends at byte {offset}: it was truncated since the pool was listed.");
            }

            buffer = buffer[read..];
            offset += read;
        }
    }

    /// <summary>
    /// The shard's ids from the ids file alone (a few bytes a row; the .npy is not read): what the aggregator checks before it
    /// reads a shard for labeled items, so that a reference phase reads only the shards holding some (10⁴ labeled rows in a
    /// 10⁶-row pool: 3 shards of 245 instead of all 2 GB).
    /// </summary>
    public async Task<IReadOnlyList<string>?> ItemIdsAsync(string descriptor, CancellationToken cancellationToken = default)
    {
        (EmbeddingsShard shard, _, string ownIds) = Open(descriptor);
        long start = shard.Start!.Value;
        long end = shard.End!.Value;
        var skip = new HashSet<long>(shard.SkippedRows ?? []);
        var result = new List<string>((int)Math.Min(end - start, int.MaxValue));
        long row = start;
        await foreach ((string id, _) in IdLines.ReadAsync(ownIds, shard.IdsOffset!.Value, cancellationToken).ConfigureAwait(false))
        {
            if (row == end)
            {
                break;
            }

            if (!skip.Contains(row))
            {
                result.Add(id);
            }

            row++;
        }

        if (row != end)
        {
            throw new InvalidDataException($"{Path.GetFileName(ownIds)} ends before row {row}; it changed since the pool was listed.");
        }

        return result;
    }

    /// <summary>
    /// The descriptor, checked: it names this pool's own .npy and ids file (compared as real paths; messages name files, never
    /// server folders, as a tar pool reads only its own tars) and rows the .npy has.
    /// </summary>
    private (EmbeddingsShard Shard, NpyMatrixHeader Header, string IdsPath) Open(string descriptor)
    {
        EmbeddingsShard shard = ShardDescription.Parse<EmbeddingsShard>(descriptor, Kind);
        string npyName = Path.GetFileName(_npyPath);
        if (!string.Equals(FileItems.RealPath(shard.FilePath!), FileItems.RealPath(_npyPath), StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Shard {shard.Index} names another file than the pool's {npyName}; it is not read.");
        }

        string ownIds = _idsPath ?? FindIdsFile(_npyPath);
        if (!string.Equals(FileItems.RealPath(shard.IdsPath!), FileItems.RealPath(ownIds), StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Shard {shard.Index} names another ids file than the pool's {Path.GetFileName(ownIds)}; it is not read.");
        }

        NpyMatrixHeader header = NpyMatrixHeader.Read(_npyPath);
        long start = shard.Start!.Value;
        long end = shard.End!.Value;
        if (start < 0 || end > header.Rows || start > end)
        {
            throw new InvalidDataException($"{npyName} has {header.Rows} rows; shard {shard.Index} asks for rows [{start}, {end}).");
        }

        return (shard, header, ownIds);
    }

    /// <summary>Reads row <c>r</c> of <c>npy#r</c>, where the .npy must be this pool's own file.</summary>
    public async Task<PoolItem> ReadOneAsync(string id, string uri, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(uri);
        int hash = uri.LastIndexOf('#');
        if (hash <= 0 || !long.TryParse(uri.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long row)
            || !string.Equals(Path.GetFullPath(uri[..hash]), _npyPath, StringComparison.Ordinal))
        {
            return FileItems.Outside(id, uri);
        }

        NpyMatrixHeader header = NpyMatrixHeader.Read(_npyPath);
        if (row >= header.Rows)
        {
            return new PoolItem { Id = id, ErrorCode = PoolItem.MissingCode, Error = $"{uri}: the file has {header.Rows} rows" };
        }

        var stream = new FileStream(_npyPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous);
        await using var disposeStream = stream.ConfigureAwait(false);
        stream.Position = header.DataOffset + (row * header.RowBytes);
        var rowBytes = new byte[header.RowBytes];
        await stream.ReadExactlyAsync(rowBytes, cancellationToken).ConfigureAwait(false);
        NpyFile.EnsureLittleEndianHost();
        var embedding = new float[header.Columns];
        ToSingle(rowBytes, header.DataType, embedding);
        return new PoolItem { Id = id, Embedding = embedding };
    }

    private static void ToSingle(ReadOnlySpan<byte> rowBytes, NpyDataType dataType, Span<float> destination)
    {
        if (dataType == NpyDataType.Float32)
        {
            MemoryMarshal.Cast<byte, float>(rowBytes).CopyTo(destination);
            return;
        }

        ReadOnlySpan<double> values = MemoryMarshal.Cast<byte, double>(rowBytes);
        for (int i = 0; i < values.Length; i++)
        {
            destination[i] = (float)values[i];
        }
    }
}
