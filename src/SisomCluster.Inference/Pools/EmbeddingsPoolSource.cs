using System.Globalization;
using System.Runtime.InteropServices;
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

    public PoolSourceKind Kind => PoolSourceKind.Embeddings;

    public string Uri { get; }

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

    public PoolListing List(int shardSize, Action<string>? report = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        NpyMatrixHeader header = NpyMatrixHeader.Read(_npyPath);
        string idsPath = _idsPath ?? FindIdsFile(_npyPath);
        var items = new List<PoolItemInfo>((int)Math.Min(header.Rows, Array.MaxLength));
        var duplicates = new List<PoolDuplicate>();
        var firstRow = new Dictionary<string, long>(StringComparer.Ordinal);
        var shards = new List<ShardDescriptor>();
        var skipped = new List<long>();
        long row = 0;
        long shardOffset = 0;
        foreach ((string id, long offset) in IdLines.Read(idsPath))
        {
            if (row % shardSize == 0)
            {
                CloseShard(shards, row, shardOffset, skipped, idsPath);
                shardOffset = offset;
            }

            if (id.Length == 0)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{idsPath}: line {row + 1} is empty; every row needs an id."));
            }

            if (firstRow.TryAdd(id, row))
            {
                items.Add(new PoolItemInfo(id, string.Create(CultureInfo.InvariantCulture, $"{_npyPath}#{row}")));
            }
            else
            {
                duplicates.Add(new PoolDuplicate(id, string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(idsPath)} line {row + 1} (first at line {firstRow[id] + 1})")));
                skipped.Add(row);
            }

            row++;
        }

        if (row != header.Rows)
        {
            throw new InvalidDataException($"{idsPath} has {row} ids, {Uri} has {header.Rows} rows: there must be exactly one id per row.");
        }

        CloseShard(shards, row, shardOffset, skipped, idsPath);
        report?.Invoke($"{Uri}: {header.Rows}×{header.Columns} {header.DataType}, {shards.Count} shards, {duplicates.Count} duplicate ids skipped");
        return new PoolListing(items, shards, duplicates);

        // Ends the shard that runs up to (not including) `end`, if any rows are pending.
        void CloseShard(List<ShardDescriptor> list, long end, long idsOffset, List<long> skippedRows, string ids)
        {
            long start = list.Count == 0 ? 0 : list[^1].End!.Value;
            if (end == start)
            {
                return;
            }

            list.Add(new ShardDescriptor
            {
                Kind = Kind,
                Index = list.Count,
                ItemCount = (int)(end - start - skippedRows.Count),
                FilePath = _npyPath,
                IdsPath = ids,
                IdsOffset = idsOffset,
                Start = start,
                End = end,
                SkippedRows = skippedRows.Count > 0 ? skippedRows.ToArray() : null,
            });
            skippedRows.Clear();
        }
    }

    public IEnumerable<PoolItem> Read(ShardDescriptor shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (shard.Kind != Kind || shard.FilePath is null || shard.IdsPath is null || shard.IdsOffset is null || shard.Start is null || shard.End is null)
        {
            throw new ArgumentException($"An {Kind} source cannot read a {shard.Kind} shard.", nameof(shard));
        }

        NpyMatrixHeader header = NpyMatrixHeader.Read(shard.FilePath);
        if (shard.Start < 0 || shard.End > header.Rows || shard.Start > shard.End)
        {
            throw new InvalidDataException($"{shard.FilePath} has {header.Rows} rows; shard {shard.Index} asks for rows [{shard.Start}, {shard.End}).");
        }

        return ReadRows(shard, header);
    }

    private static IEnumerable<PoolItem> ReadRows(ShardDescriptor shard, NpyMatrixHeader header)
    {
        long start = shard.Start!.Value;
        long end = shard.End!.Value;
        var skip = new HashSet<long>(shard.SkippedRows ?? []);
        using var stream = new FileStream(shard.FilePath!, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        stream.Position = header.DataOffset + start * header.RowBytes;
        using IEnumerator<(string Id, long Offset)> ids = IdLines.Read(shard.IdsPath!, shard.IdsOffset!.Value).GetEnumerator();
        var rowBytes = new byte[header.RowBytes];
        for (long row = start; row < end; row++)
        {
            if (!ids.MoveNext())
            {
                throw new InvalidDataException($"{shard.IdsPath} ends before row {row}; it changed since the pool was listed.");
            }

            stream.ReadExactly(rowBytes);
            if (skip.Contains(row))
            {
                continue;
            }

            yield return new PoolItem { Id = ids.Current.Id, Embedding = ToSingle(rowBytes, header.DataType) };
        }
    }

    private static float[] ToSingle(byte[] rowBytes, NpyDataType dataType)
    {
        if (dataType == NpyDataType.Float32)
        {
            return MemoryMarshal.Cast<byte, float>(rowBytes).ToArray();
        }

        ReadOnlySpan<double> values = MemoryMarshal.Cast<byte, double>(rowBytes);
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = (float)values[i];
        }

        return result;
    }
}
