using SisomCluster.Inference.Sources;
using Xunit;

namespace SisomCluster.Inference.Tests.Sources;

public sealed class S3UriTests
{
    [Theory]
    [InlineData("s3://crawls", "crawls", "")]
    [InlineData("s3://crawls/laion/2026-01", "crawls", "laion/2026-01")]
    [InlineData("S3://crawls/laion/", "crawls", "laion/")]
    public void A_bucket_and_key_are_parsed(string uri, string bucket, string key)
    {
        S3Uri parsed = S3Uri.Parse(uri);
        Assert.Equal(bucket, parsed.Bucket);
        Assert.Equal(key, parsed.Key);
    }

    [Theory]
    [InlineData("s3://", "bucket name")]
    [InlineData("s3://Crawls/x", "bucket name")]
    [InlineData("s3://cr/x", "bucket name")]
    [InlineData("s3://crawls/a/../b", "'..'")]
    [InlineData("s3://crawls/a//b", "empty segments")]
    [InlineData("/data/crawls", "not an s3:// uri")]
    public void A_malformed_uri_is_refused_with_the_reason(string uri, string reason)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => S3Uri.Parse(uri));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_holds_its_own_keys_only()
    {
        S3Uri folder = S3Uri.Parse("s3://crawls/laion");
        Assert.Equal("s3://crawls/laion/", folder.AsFolder().ToString());
        Assert.True(S3Uri.Parse("s3://crawls/laion/00000.tar").IsUnder(folder));
        Assert.True(S3Uri.Parse("s3://crawls/laion").IsUnder(folder));
        Assert.False(S3Uri.Parse("s3://crawls/laion-old/00000.tar").IsUnder(folder));
        Assert.False(S3Uri.Parse("s3://other/laion/00000.tar").IsUnder(folder));
        Assert.True(S3Uri.Parse("s3://crawls/x").IsUnder(S3Uri.Parse("s3://crawls")));
        Assert.Equal("s3://crawls/laion/00001.tar", folder.Child("00001.tar").ToString());
        Assert.Equal("00001.tar", folder.Child("00001.tar").Name);
    }
}
