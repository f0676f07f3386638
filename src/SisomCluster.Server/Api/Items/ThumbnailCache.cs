using System.Collections.Concurrent;
using SisomCluster.Data.Pools;
using SisomCluster.Inference.Decoding;
using SisomCluster.Server.Pools;

namespace SisomCluster.Server.Api.Items;

/// <summary>
/// The one thumbnail path of the api role (<c>GET /api/v1/pools/{pool}/thumbnails/{item}</c>, which the dashboard's
/// gallery uses too): read the item (<see cref="ThumbnailReader.ReadItemBytesAsync"/>), render it
/// (<see cref="ThumbnailRenderer"/>, under the workers' <see cref="DecodeLimits"/>), and keep the PNG.
/// </summary>
/// <remarks>
/// Reads are serialized per shard (the container an item is read from: a tar, or the item's file), so a gallery's
/// parallel requests into one tar read it one after another rather than all at once, and a request that waited for
/// the same item finds it rendered. The cache holds at most <see cref="MaxBytes"/> of PNGs; past that the least
/// recently used go first. At most <see cref="ThumbnailGate.Capacity"/> renders run at once (a request beyond gets
/// <see cref="ThumbnailResult.NoSlot"/>); a cache hit takes no slot. Keys hold the pool id and the item's stored uri, so a re-registered pool never gets
/// another pool's pictures. Failures are not kept: a file that appears later is read then.
/// </remarks>
internal sealed class ThumbnailCache(PoolAccess pools, ThumbnailGate gate) : IDisposable
{
    public const long MaxBytes = 64L * 1024 * 1024;

    private const int Stripes = 32;

    private readonly ConcurrentDictionary<Key, Entry> _entries = new();
    private readonly SemaphoreSlim[] _shards = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly Lock _evicting = new();
    private long _bytes;
    private long _clock;

    public async Task<ThumbnailResult> GetAsync(Pool pool, Item item, int size, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(item);
        var key = new Key(pool.Id, item.ItemId, item.Uri ?? "", size);
        if (TryGet(key, out byte[]? hit))
        {
            return ThumbnailResult.Png(hit);
        }

        // A render slot, taken without waiting: none free is a 503 for the caller, not a queue.
        using IDisposable? slot = gate.TryEnter();
        if (slot is null)
        {
            return ThumbnailResult.NoSlot;
        }

        string shard = ThumbnailReader.ShardOf(item);
        SemaphoreSlim stripe = _shards[(int)((uint)StringComparer.Ordinal.GetHashCode(shard) % Stripes)];
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (TryGet(key, out hit))
            {
                return ThumbnailResult.Png(hit);
            }

            // The read streams (a tar member is reached without reading its predecessors); decoding is CPU work on a
            // thread-pool thread, not the request's.
            ItemBytes read = await ThumbnailReader.ReadItemBytesAsync(pools, pool, item, cancellationToken).ConfigureAwait(false);
            ThumbnailResult result = read.Problem is { } problem
                ? ThumbnailResult.None(problem)
                : await Task.Run(() => ThumbnailRenderer.Render(read.Bytes, size, item.ItemId, DecodeLimits.Default), cancellationToken).ConfigureAwait(false);
            if (result.Bytes is { } png)
            {
                Add(key, png);
            }

            return result;
        }
        finally
        {
            stripe.Release();
        }
    }

    public void Dispose()
    {
        foreach (SemaphoreSlim shard in _shards)
        {
            shard.Dispose();
        }
    }

    private bool TryGet(Key key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? png)
    {
        if (_entries.TryGetValue(key, out Entry? entry))
        {
            entry.LastUse = Interlocked.Increment(ref _clock);
            png = entry.Png;
            return true;
        }

        png = null;
        return false;
    }

    private void Add(Key key, byte[] png)
    {
        if (!_entries.TryAdd(key, new Entry(png) { LastUse = Interlocked.Increment(ref _clock) }))
        {
            return;
        }

        if (Interlocked.Add(ref _bytes, png.Length) <= MaxBytes)
        {
            return;
        }

        lock (_evicting)
        {
            // Down to three quarters, so eviction runs once per many additions rather than at each.
            foreach ((Key old, Entry entry) in _entries.OrderBy(e => e.Value.LastUse).ToList())
            {
                if (Interlocked.Read(ref _bytes) <= MaxBytes / 4 * 3)
                {
                    break;
                }

                if (_entries.TryRemove(old, out _))
                {
                    Interlocked.Add(ref _bytes, -entry.Png.Length);
                }
            }
        }
    }

    private readonly record struct Key(Guid PoolId, string ItemId, string Uri, int Size);

    private sealed class Entry(byte[] png)
    {
        public byte[] Png { get; } = png;

        public long LastUse { get; set; }
    }
}
