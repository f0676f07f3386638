using System.Buffers;
using System.Globalization;
using System.Threading.Channels;
using Amazon.S3.Model;

namespace SisomCluster.Inference.Sources;

/// <summary>
/// An object read front to back while its reader works: a pump fetches it in chunks into a bounded channel
/// (<see cref="S3Settings.ReadAheadBytes"/>), so the next bytes — the next samples of a tar — arrive while the current
/// ones are decoded and scored, and no more than that bound is held, whatever the object's size (no temporary copy).
/// <para>
/// A body that stalls longer than <see cref="S3Settings.Timeout"/>, or ends before the listed size (a cut connection, a
/// proxy giving up), is resumed with a range request from the first byte not yet read, after a doubling backoff; more
/// than <see cref="S3Settings.MaxRetries"/> tries in a row without a byte of progress fail the read with the last reason.
/// Every request asks for the listed ETag, so the bytes all come from one version of the object. Errors that no retry
/// mends (no object, no bucket, refused credentials, a changed object) fail at once.
/// </para>
/// </summary>
internal sealed class S3ObjectStream : Stream
{
    private const int ChunkBytes = 128 << 10;

    private readonly S3Store _store;
    private readonly S3Uri _uri;
    private readonly StoredObject _stored;
    private readonly Channel<Chunk> _chunks;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private Chunk? _current;
    private int _offset;
    private long _position;

    public S3ObjectStream(S3Store store, S3Uri uri, StoredObject stored)
    {
        _store = store;
        _uri = uri;
        _stored = stored;
        int capacity = Math.Max(2, store.Settings.ReadAheadBytes / ChunkBytes);
        _chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        _pump = Task.Run(() => PumpAsync(_stop.Token));
    }

    /// <summary>Requests made for this object (the first and every resumption); for tests and logs.</summary>
    public int Requests { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _stored.Size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_current is null || _offset == _current.Length)
        {
            if (_current is not null)
            {
                ArrayPool<byte>.Shared.Return(_current.Bytes);
                _current = null;
            }

            if (!await _chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Completed: with the pump's exception (thrown by the await above via Completion), or at the end.
                await _chunks.Reader.Completion.ConfigureAwait(false);
                return 0;
            }

            if (_chunks.Reader.TryRead(out Chunk? chunk))
            {
                (_current, _offset) = (chunk, 0);
            }
        }

        int n = Math.Min(buffer.Length, _current.Length - _offset);
        _current.Bytes.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        _position += n;
        return n;
    }

    private async Task PumpAsync(CancellationToken stop)
    {
        long fetched = 0;
        int failures = 0;
        Exception? last = null;
        try
        {
            while (fetched < _stored.Size || (fetched == 0 && Requests == 0))
            {
                if (failures > _store.Settings.MaxRetries)
                {
                    throw new S3ReadException(
                        string.Create(CultureInfo.InvariantCulture, $"{_uri}: read {fetched} of {_stored.Size} bytes, then {failures} tries failed: {last?.Message}"),
                        transient: true,
                        last);
                }

                if (failures > 0)
                {
                    double backoff = Math.Min(10_000, _store.Settings.RetryDelay.TotalMilliseconds * Math.Pow(2, failures - 1));
                    await Task.Delay(TimeSpan.FromMilliseconds(backoff), stop).ConfigureAwait(false);
                }

                long before = fetched;
                try
                {
                    Requests++;
                    fetched = await FetchFromAsync(fetched, stop).ConfigureAwait(false);
                    if (fetched < _stored.Size)
                    {
                        last = new S3ReadException(string.Create(CultureInfo.InvariantCulture, $"the body ended at byte {fetched} of {_stored.Size}"), transient: true);
                    }
                }
                catch (Exception e) when (!stop.IsCancellationRequested && S3Store.IsTransient(e))
                {
                    last = e;
                    fetched = e is PartialReadException partial ? partial.Fetched : fetched;
                }

                // Progress resets the count: a flaky link that still moves the object forward is not given up on.
                failures = fetched > before ? (fetched < _stored.Size ? 1 : 0) : failures + 1;
                if (fetched >= _stored.Size)
                {
                    break;
                }
            }

            _chunks.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _chunks.Writer.TryComplete(stop.IsCancellationRequested ? new OperationCanceledException(stop) : e);
        }
    }

    /// <summary>One GET from <paramref name="from"/>; returns how far the object has been fetched when its body ended.</summary>
    private async Task<long> FetchFromAsync(long from, CancellationToken stop)
    {
        long fetched = from;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop);
        idle.CancelAfter(_store.Settings.Timeout);
        try
        {
            using GetObjectResponse response = await _store.GetAsync(_uri, _stored, from, idle.Token).ConfigureAwait(false);

            // Not every compatible store honours If-Match: the answer itself says whether it is the version listed.
            if (_stored.ETag is { Length: > 0 } listed && response.ETag is { Length: > 0 } now && listed.Trim('"') != now.Trim('"'))
            {
                throw new S3ReadException($"{_uri}: the object changed since the pool was listed (its ETag differs); register the pool again.", transient: false);
            }

            if (response.ContentLength < _stored.Size - from)
            {
                throw new S3ReadException(
                    string.Create(CultureInfo.InvariantCulture, $"{_uri}: the object has {from + response.ContentLength} bytes, {_stored.Size} when the pool was listed: it changed since the pool was listed (truncated); register the pool again."),
                    transient: false);
            }

            Stream body = response.ResponseStream;
            while (true)
            {
                byte[] bytes = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                int n;
                try
                {
                    idle.CancelAfter(_store.Settings.Timeout);
                    n = await body.ReadAsync(bytes.AsMemory(0, (int)Math.Min(ChunkBytes, Math.Max(1, _stored.Size - fetched))), idle.Token).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(bytes);
                    throw;
                }

                if (n == 0 || fetched >= _stored.Size)
                {
                    ArrayPool<byte>.Shared.Return(bytes);
                    return fetched;
                }

                fetched += n;

                // Waiting for room is not a stall of the store: the idle clock stops while the reader is behind.
                idle.CancelAfter(Timeout.InfiniteTimeSpan);
                await _chunks.Writer.WriteAsync(new Chunk(bytes, n), stop).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!stop.IsCancellationRequested && S3Store.IsTransient(e))
        {
            string why = idle.IsCancellationRequested ? $"no bytes for {_store.Settings.Timeout.TotalSeconds:0.#} s" : e.Message;
            throw new PartialReadException(fetched, $"{_uri}: {why}", e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop.Cancel();
            _pump.Wait(TimeSpan.FromSeconds(5));
            while (_chunks.Reader.TryRead(out Chunk? chunk))
            {
                ArrayPool<byte>.Shared.Return(chunk.Bytes);
            }

            if (_current is not null)
            {
                ArrayPool<byte>.Shared.Return(_current.Bytes);
                _current = null;
            }

            _stop.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        // Stop the pump without blocking a thread on it; Dispose(bool), which base.DisposeAsync calls, then finds it ended.
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private sealed record Chunk(byte[] Bytes, int Length);

    /// <summary>A body cut short: how far it got, and why.</summary>
    private sealed class PartialReadException(long fetched, string message, Exception inner) : IOException(message, inner)
    {
        public long Fetched { get; } = fetched;
    }
}
