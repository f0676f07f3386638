namespace SisomCluster.Server.Api.Items;

/// <summary>One pool item's encoded bytes, or a one-line reason why they could not be read.</summary>
internal sealed record ItemBytes(ReadOnlyMemory<byte> Bytes, string? Problem)
{
    public static ItemBytes None(string problem) => new(ReadOnlyMemory<byte>.Empty, problem);
}
