using System.Globalization;
using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace SisomCluster.Inference.Sources;

/// <summary>
/// One process's way into object storage: a single shared <see cref="AmazonS3Client"/> (thread-safe, pooled connections)
/// for the configured endpoint, and the three operations pools need — list a folder, stream an object, read a small one —
/// with S3's errors turned into the exceptions the pool sources already answer: no bucket is
/// <see cref="DirectoryNotFoundException"/>, no object <see cref="FileNotFoundException"/>, refused credentials
/// <see cref="UnauthorizedAccessException"/>, anything else (a 5xx after retries, a timeout, an object changed since it
/// was listed) <see cref="IOException"/>. Messages name the s3:// location and S3's error code, never a credential.
/// </summary>
public sealed class S3Store : IDisposable
{
    private static readonly Lazy<S3Store> FromEnvironment = new(() => new S3Store(S3Settings.FromEnvironment()));

    /// <summary>The most objects held prefetched (each holding at most <see cref="S3Settings.ReadAheadBytes"/>); the oldest goes first.</summary>
    public const int MaxPrefetched = 2;

    private readonly Lazy<IAmazonS3> _client;
    private readonly Lock _prefetchGate = new();
    private readonly LinkedList<(string Key, S3ObjectStream Stream)> _prefetched = new();
    private int _prefetchHits;

    public S3Store(S3Settings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        _client = new Lazy<IAmazonS3>(() => CreateClient(settings));
    }

    /// <summary>The store configured by this process's <c>S3__*</c> environment variables.</summary>
    public static S3Store Default => FromEnvironment.Value;

    public S3Settings Settings { get; }

    internal IAmazonS3 Client => _client.Value;

    /// <summary>The objects directly in <paramref name="folder"/> (not in its sub-folders), in ordinal name order.</summary>
    public async Task<IReadOnlyList<StoredObject>> ListAsync(S3Uri folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        S3Uri prefix = folder.AsFolder();
        var objects = new List<StoredObject>();
        string? token = null;
        do
        {
            ListObjectsV2Response response = await CallAsync(
                prefix,
                () => Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = prefix.Bucket, Prefix = prefix.Key, Delimiter = "/", ContinuationToken = token }, cancellationToken)).ConfigureAwait(false);
            foreach (S3Object item in response.S3Objects ?? [])
            {
                string name = item.Key[prefix.Key.Length..];
                if (name.Length > 0 && !name.Contains('/', StringComparison.Ordinal))
                {
                    objects.Add(new StoredObject(name, item.Size ?? 0, item.ETag));
                }
            }

            token = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (token is not null);
        objects.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return objects;
    }

    /// <summary>The size and tag of one object.</summary>
    public async Task<StoredObject> HeadAsync(S3Uri uri, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        GetObjectMetadataResponse head = await CallAsync(uri, () => Client.GetObjectMetadataAsync(uri.Bucket, uri.Key, cancellationToken)).ConfigureAwait(false);
        return new StoredObject(uri.Name, head.ContentLength, head.ETag);
    }

    /// <summary>
    /// Streams <paramref name="uri"/> (of <paramref name="stored"/>'s size and version) through a bounded read-ahead:
    /// <see cref="S3ObjectStream"/>. An object over <see cref="S3Settings.MaxObjectBytes"/> is refused unread.
    /// </summary>
    public Stream OpenRead(S3Uri uri, StoredObject stored)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Size > Settings.MaxObjectBytes)
        {
            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"{uri}: {stored.Size} bytes, more than the {Settings.MaxObjectBytes} an object may have (S3__MaxObjectMegabytes)."));
        }

        string key = PrefetchKey(uri, stored);
        lock (_prefetchGate)
        {
            for (LinkedListNode<(string Key, S3ObjectStream Stream)>? node = _prefetched.First; node is not null; node = node.Next)
            {
                if (node.Value.Key == key)
                {
                    _prefetched.Remove(node);
                    _prefetchHits++;
                    return node.Value.Stream;
                }
            }
        }

        return new S3ObjectStream(this, uri, stored);
    }

    /// <summary>How many <see cref="OpenRead"/> calls found their object prefetched (tests and measurements).</summary>
    public int PrefetchHits => Volatile.Read(ref _prefetchHits);

    /// <summary>
    /// Starts reading <paramref name="uri"/> now (its pump fills the bounded read-ahead, then waits), for a later
    /// <see cref="OpenRead"/> of the same object and version to take over: the next shard's first bytes arrive while the
    /// current one is scored. At most <see cref="MaxPrefetched"/> are held; the oldest is dropped (its GET cancelled) for a
    /// newer one, so a prefetch another worker's shard made useless costs one read-ahead, once. Off with
    /// <see cref="S3Settings.PrefetchNext"/> false.
    /// </summary>
    public void Prefetch(S3Uri uri, StoredObject stored)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(stored);
        if (!Settings.PrefetchNext || stored.Size > Settings.MaxObjectBytes)
        {
            return;
        }

        string key = PrefetchKey(uri, stored);
        S3ObjectStream? dropped = null;
        lock (_prefetchGate)
        {
            if (_prefetched.Any(p => p.Key == key))
            {
                return;
            }

            if (_prefetched.Count >= MaxPrefetched)
            {
                dropped = _prefetched.First!.Value.Stream;
                _prefetched.RemoveFirst();
            }

            _prefetched.AddLast((key, new S3ObjectStream(this, uri, stored)));
        }

        // Not Dispose(): it waits for the pump (up to seconds) on the caller's thread, which is opening a shard.
        // DisposeAsync cancels the GET and awaits the pump without throwing, so it can run on its own.
        _ = dropped?.DisposeAsync().AsTask();
    }

    private static string PrefetchKey(S3Uri uri, StoredObject stored) =>
        string.Create(CultureInfo.InvariantCulture, $"{uri}\n{stored.Size}\n{stored.ETag}");

    /// <summary>A whole small object (a parquet file), at most <paramref name="maxBytes"/>.</summary>
    public async Task<byte[]> ReadAllAsync(S3Uri uri, StoredObject stored, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Size > maxBytes)
        {
            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"{uri}: {stored.Size} bytes, more than the {maxBytes} this file may have."));
        }

        Stream stream = OpenRead(uri, stored);
        await using (stream.ConfigureAwait(false))
        {
            var bytes = new byte[stored.Size];
            await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            return bytes;
        }
    }

    /// <summary>Starts a GET of <paramref name="uri"/> from byte <paramref name="offset"/>, of the listed version.</summary>
    internal Task<GetObjectResponse> GetAsync(S3Uri uri, StoredObject stored, long offset, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = uri.Bucket, Key = uri.Key };
        if (offset > 0)
        {
            request.ByteRange = new ByteRange(offset, stored.Size - 1);
        }

        if (stored.ETag is { Length: > 0 } etag)
        {
            request.EtagToMatch = etag;
        }

        return CallAsync(uri, () => Client.GetObjectAsync(request, cancellationToken));
    }

    /// <summary>Whether an exception from a read is worth retrying (a 5xx, a throttle, a cut connection, a timeout).</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => false,
        S3ReadException read => read.Transient,
        IOException or HttpRequestException or TimeoutException or OperationCanceledException => true,
        AmazonServiceException service => (int)service.StatusCode >= 500 || service.StatusCode == HttpStatusCode.TooManyRequests,
        AmazonClientException => true,
        _ => false,
    };

    private static async Task<T> CallAsync<T>(S3Uri where, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AmazonS3Exception e)
        {
            throw Translate(where, e);
        }
        catch (AmazonServiceException e)
        {
            throw new S3ReadException($"{where}: {e.ErrorCode ?? e.StatusCode.ToString()} ({(int)e.StatusCode}): {OneLine(e.Message)}", (int)e.StatusCode >= 500, e);
        }
        catch (AmazonClientException e)
        {
            throw new S3ReadException($"{where}: {OneLine(e.Message)}", transient: true, e);
        }
    }

    private static Exception Translate(S3Uri where, AmazonS3Exception e)
    {
        string code = e.ErrorCode ?? e.StatusCode.ToString();
        return code switch
        {
            "NoSuchBucket" => new DirectoryNotFoundException($"s3://{where.Bucket}: no such bucket.", e),
            "NoSuchKey" => new FileNotFoundException($"{where}: no such object.", where.ToString(), e),
            "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied" or "ExpiredToken" or "InvalidToken"
                => new UnauthorizedAccessException($"{where}: the store refused the credentials ({code}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the role.", e),
            "InvalidRange" => new S3ReadException($"{where}: the object is shorter than when the pool was listed: it changed since the pool was listed (truncated); register the pool again.", transient: false, e),
            "PreconditionFailed" => new S3ReadException($"{where}: the object changed since the pool was listed (its ETag differs); register the pool again.", transient: false, e),
            _ when e.StatusCode == HttpStatusCode.NotFound => new FileNotFoundException($"{where}: not found ({code}).", where.ToString(), e),
            _ when e.StatusCode == HttpStatusCode.Forbidden => new UnauthorizedAccessException($"{where}: access denied ({code}).", e),
            _ => new S3ReadException(string.Create(CultureInfo.InvariantCulture, $"{where}: {code} ({(int)e.StatusCode}): {OneLine(e.Message)}"), (int)e.StatusCode >= 500 || e.StatusCode == HttpStatusCode.TooManyRequests, e),
        };
    }

    private static string OneLine(string text) => new([.. text.Take(300).Select(c => char.IsControl(c) ? ' ' : c)]);

    private static AmazonS3Client CreateClient(S3Settings settings)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = settings.ForcePathStyle,
            Timeout = settings.Timeout,
            MaxErrorRetry = settings.MaxRetries,
            RetryMode = RequestRetryMode.Standard,

            // Compatible stores (s3rver, older MinIO and Ceph) do not all speak the SDK's default CRC trailers.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (settings.ServiceUrl is { Length: > 0 } url)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = settings.Region ?? "us-east-1";
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(settings.Region ?? "us-east-1");
        }

        return settings.Credentials is { } credentials ? new AmazonS3Client(credentials, config) : new AmazonS3Client(config);
    }

    public void Dispose()
    {
        lock (_prefetchGate)
        {
            foreach ((string _, S3ObjectStream stream) in _prefetched)
            {
                stream.Dispose();
            }

            _prefetched.Clear();
        }

        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }
}
