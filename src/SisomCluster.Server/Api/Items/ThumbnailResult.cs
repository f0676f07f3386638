namespace SisomCluster.Server.Api.Items;

internal sealed record ThumbnailResult(byte[]? Bytes, string? Problem, bool Busy = false)
{
    /// <summary>Every render slot is taken (<see cref="ThumbnailGate"/>): try again later.</summary>
    public static ThumbnailResult NoSlot { get; } = new(null, "every thumbnail slot is taken; try again shortly.", Busy: true);

    public static ThumbnailResult Png(byte[] bytes) => new(bytes, null);

    public static ThumbnailResult None(string problem) => new(null, problem);
}
