using System.Globalization;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Sources;
using SisomCluster.Inference.Tests.Sources;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// An <see cref="ApiTestHost"/> reading object storage: <c>S3:*</c> pointed at the loopback S3 server and
/// <c>Pools:AllowedRoots</c> set to one s3:// prefix of a bucket of its own, which holds an img2dataset crawl both under
/// that prefix and beside it (<c>outside/</c>).
/// </summary>
public sealed class S3PoolsApiTestHost : ApiTestHost
{
    public const int Shards = 2;

    public const int PerShard = 6;

    private S3TestBucket? _bucket;

    public S3PoolsApiTestHost()
    {
        // The api reads through the SDK's standard credential chain, as a deployment does: here the loopback server's keys.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID")))
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", S3TestBucket.AccessKey);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", S3TestBucket.AccessKey);
        }
    }

    public S3TestBucket Bucket => _bucket ?? throw new InvalidOperationException("not seeded");

    protected override IEnumerable<(string Key, string Value)> Settings =>
    [
        ("Pools:AllowedRoots:0", Bucket.Uri("allowed")),
        ("S3:ServiceUrl", Bucket.ServiceUrl),
        ("S3:ForcePathStyle", "true"),
    ];

    protected override async Task SeedMoreAsync()
    {
        _bucket = await S3TestBucket.CreateAsync("sisom-api");
        FashionMnist data = FashionMnist.Load(train: true, limit: Shards * PerShard);
        var shards = Enumerable.Range(0, Shards).Select(s => (IReadOnlyList<Img2DatasetSample>)[.. Enumerable.Range(0, PerShard).Select(i => new Img2DatasetSample
        {
            Key = Key(s, i),
            Url = $"https://img.example.org/{s}/{i}.png",
            Status = i == PerShard - 1 ? "failed_to_download" : "success",
            Image = i == PerShard - 1 ? ReadOnlyMemory<byte>.Empty : data.EncodePng((s * PerShard) + i),
            Extension = ".png",
        })]).ToList();
        string folder = Path.Combine(Directory, "crawl");
        await Img2DatasetWriter.WriteAsync(folder, shards);
        await Bucket.UploadFolderAsync(folder, "allowed/crawl/");
        await Bucket.UploadFolderAsync(folder, "outside/crawl/");
    }

    public static string Key(int shard, int index) => string.Create(CultureInfo.InvariantCulture, $"{shard:D5}{index:D4}");
}
