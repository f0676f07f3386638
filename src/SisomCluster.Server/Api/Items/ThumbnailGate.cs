using Microsoft.Extensions.Options;

namespace SisomCluster.Server.Api.Items;

/// <summary>
/// How many thumbnails the api role renders at once (<see cref="ApiOptions.MaxConcurrentThumbnails"/>). A request that
/// finds every slot taken does not queue: it is answered 503 with <c>Retry-After</c> (cache hits need no slot), so a
/// read key cannot pile up decodes.
/// </summary>
internal sealed class ThumbnailGate : IDisposable
{
    private readonly SemaphoreSlim _slots;

    public ThumbnailGate(IOptions<ApiOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Capacity = options.Value.MaxConcurrentThumbnails > 0 ? options.Value.MaxConcurrentThumbnails : DefaultCapacity;
        _slots = new SemaphoreSlim(Capacity, Capacity);
    }

    /// <summary>Twice the processor count: decoding is CPU work, and a few reads may wait on the disk meanwhile.</summary>
    public static int DefaultCapacity => 2 * Environment.ProcessorCount;

    public int Capacity { get; }

    /// <summary>Takes a slot without waiting; null when all are taken. Dispose the slot to give it back.</summary>
    public IDisposable? TryEnter() => _slots.Wait(0) ? new Slot(_slots) : null;

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
