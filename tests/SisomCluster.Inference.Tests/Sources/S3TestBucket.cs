using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using SisomCluster.Inference.Sources;

namespace SisomCluster.Inference.Tests.Sources;

/// <summary>
/// A bucket of its own on the loopback S3 server that <c>deploy/local/services.sh up</c> starts (s3rver, keys S3RVER):
/// <c>S3__ServiceUrl</c> names it (default <c>http://127.0.0.1:4569</c>). Deleted with its objects on dispose.
/// </summary>
public sealed class S3TestBucket : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";

    private S3TestBucket(string serviceUrl, string name, AmazonS3Client client)
    {
        ServiceUrl = serviceUrl;
        Name = name;
        Client = client;
    }

    public static string ServiceUrlFromEnvironment => Environment.GetEnvironmentVariable("S3__ServiceUrl") is { Length: > 0 } url ? url : "http://127.0.0.1:4569";

    public string ServiceUrl { get; }

    public string Name { get; }

    public AmazonS3Client Client { get; }

    public static BasicAWSCredentials Credentials => new(AccessKey, AccessKey);

    /// <summary>Settings for the loopback server (or <paramref name="serviceUrl"/>, e.g. a fault proxy in front of it), short retries for tests.</summary>
    public static S3Settings Settings(string? serviceUrl = null) => new()
    {
        ServiceUrl = serviceUrl ?? ServiceUrlFromEnvironment,
        ForcePathStyle = true,
        Credentials = Credentials,
        Timeout = TimeSpan.FromSeconds(5),
        MaxRetries = 2,
        RetryDelay = TimeSpan.FromMilliseconds(50),
    };

    public static async Task<S3TestBucket> CreateAsync(string prefix = "sisom-test")
    {
        string url = ServiceUrlFromEnvironment;
        var client = new AmazonS3Client(Credentials, new AmazonS3Config
        {
            ServiceURL = url,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
        string name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)];
        try
        {
            await client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        }
        catch (Exception e) when (e is HttpRequestException or AmazonServiceException or AmazonClientException)
        {
            client.Dispose();
            throw new InvalidOperationException($"no S3 server at {url} ({e.Message}); start it with deploy/local/services.sh up (or s3-up) and export its env lines.", e);
        }

        return new S3TestBucket(url, name, client);
    }

    public string Uri(string key = "") => $"s3://{Name}/{key}";

    public async Task PutAsync(string key, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        await Client.PutObjectAsync(new PutObjectRequest { BucketName = Name, Key = key, InputStream = stream, UseChunkEncoding = false });
    }

    /// <summary>Uploads every file directly in <paramref name="folder"/> under <paramref name="prefix"/>.</summary>
    public async Task UploadFolderAsync(string folder, string prefix)
    {
        foreach (string file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            await PutAsync(prefix + Path.GetFileName(file), await File.ReadAllBytesAsync(file));
        }
    }

    public Task DeleteAsync(string key) => Client.DeleteObjectAsync(Name, key);

    public async ValueTask DisposeAsync()
    {
        try
        {
            ListObjectsV2Response listed = await Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Name });
            foreach (S3Object item in listed.S3Objects ?? [])
            {
                await Client.DeleteObjectAsync(Name, item.Key);
            }

            await Client.DeleteBucketAsync(Name);
        }
        catch (AmazonServiceException)
        {
            // Best effort: the server's data folder is the test run's own.
        }

        Client.Dispose();
    }
}
