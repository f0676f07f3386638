using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Inference.Pools;
using SkiaSharp;

namespace SisomCluster.Server.Dashboard;

/// <summary>
/// Thumbnails (112×112 PNG) of a run's scored images, read back from the pool source: the item's shard (from its score
/// row) is read once and the thumbnails of every selected item in it are kept, so a gallery costs one pass per shard.
/// Only items the run scored can be asked for; nothing outside the pool is ever opened.
/// </summary>
public sealed class ThumbnailCache(IServiceScopeFactory scopes) : IDisposable
{
    private const int Side = 112;
    private const int MaxEntries = 20_000;
    private readonly ConcurrentDictionary<(Guid Run, string Item), byte[]> _cache = new();
    private readonly SemaphoreSlim _reading = new(1, 1);

    public async Task<byte[]?> GetAsync(Guid runId, string itemId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue((runId, itemId), out byte[]? hit))
        {
            return hit;
        }

        await _reading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_cache.TryGetValue((runId, itemId), out hit))
            {
                return hit;
            }

            using IServiceScope scope = scopes.CreateScope();
            SisomDbContext db = scope.ServiceProvider.GetRequiredService<SisomDbContext>();
            int? shardId = await db.ItemScores.AsNoTracking().Where(s => s.RunId == runId && s.ItemId == itemId).Select(s => (int?)s.ShardId).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            if (shardId is null)
            {
                return null;
            }

            var source = await db.Runs.AsNoTracking().Where(r => r.Id == runId)
                .Join(db.Pools, r => r.PoolId, p => p.Id, (r, p) => new { p.SourceKind, p.SourceUri })
                .SingleAsync(cancellationToken).ConfigureAwait(false);
            IPoolSource pool = PoolSources.Open(source.SourceKind, source.SourceUri);
            if (!pool.HoldsImages)
            {
                return null;
            }

            string descriptor = await db.Shards.AsNoTracking().Where(s => s.RunId == runId && s.ShardId == shardId).Select(s => s.Descriptor).SingleAsync(cancellationToken).ConfigureAwait(false);
            HashSet<string> wanted = (await db.Selections.AsNoTracking().Where(s => s.RunId == runId).Select(s => s.ItemId).ToListAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
            wanted.Add(itemId);
            if (_cache.Count > MaxEntries)
            {
                _cache.Clear();
            }

            await foreach (PoolItem item in pool.ReadAsync(descriptor, cancellationToken).ConfigureAwait(false))
            {
                if (item.ErrorCode is null && wanted.Contains(item.Id) && Thumbnail(item.Bytes) is { } png)
                {
                    _cache[(runId, item.Id)] = png;
                }
            }

            return _cache.TryGetValue((runId, itemId), out hit) ? hit : null;
        }
        finally
        {
            _reading.Release();
        }
    }

    public void Dispose() => _reading.Dispose();

    private static byte[]? Thumbnail(ReadOnlyMemory<byte> bytes)
    {
        using SKBitmap? bitmap = SKBitmap.Decode(bytes.Span);
        if (bitmap is null)
        {
            return null;
        }

        using SKBitmap scaled = bitmap.Resize(new SKImageInfo(Side, Side), new SKSamplingOptions(SKFilterMode.Nearest));
        using SKData png = scaled.Encode(SKEncodedImageFormat.Png, 90);
        return png.ToArray();
    }
}
