namespace SisomCluster.Inference.Sources;

/// <summary>
/// One url of an img2dataset crawl as <see cref="Img2DatasetWriter"/> writes it: its key, the encoded image when it was
/// downloaded (<see cref="Status"/> <c>success</c>), and the row fields img2dataset records.
/// </summary>
public sealed record Img2DatasetSample
{
    public required string Key { get; init; }

    public required string Url { get; init; }

    /// <summary><c>success</c>, or why img2dataset has no image (<c>failed_to_download</c>, <c>failed_to_resize</c>).</summary>
    public string Status { get; init; } = "success";

    /// <summary>The encoded image (written to the tar only when <see cref="Status"/> is success).</summary>
    public ReadOnlyMemory<byte> Image { get; init; }

    /// <summary>The image member's extension (<c>.jpg</c>, <c>.png</c>, <c>.webp</c>).</summary>
    public string Extension { get; init; } = ".jpg";

    public string? Caption { get; init; }

    public int? Width { get; init; }

    public int? Height { get; init; }

    public DateTimeOffset? CapturedAt { get; init; }

    public string? ErrorMessage { get; init; }
}
