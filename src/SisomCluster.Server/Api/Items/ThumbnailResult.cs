namespace SisomCluster.Server.Api.Items;

internal sealed record ThumbnailResult(byte[]? Bytes, string? Problem)
{
    public static ThumbnailResult Png(byte[] bytes) => new(bytes, null);

    public static ThumbnailResult None(string problem) => new(null, problem);
}
