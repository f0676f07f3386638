namespace SisomCluster.Inference.Sources;

/// <summary>
/// Which columns of an img2dataset shard's <c>.parquet</c> give an item's source and capture time. img2dataset writes
/// <c>url</c>, <c>key</c>, <c>status</c>, <c>error_message</c>, <c>caption</c>, <c>width</c>, <c>height</c> and whatever
/// extra columns the input had (<c>--save_additional_columns</c>); the same fields go to each sample's <c>.json</c>.
/// </summary>
public sealed record Img2DatasetColumns
{
    /// <summary>
    /// The source column (default <c>url</c>). A value that is an http(s) url gives its host (<c>images.example.org</c>), so
    /// drift is tracked per site; any other value is taken as it is. Empty: no source.
    /// </summary>
    public string SourceColumn { get; init; } = "url";

    /// <summary>The capture-time column (default <c>captured_at</c>): ISO-8601 text, Unix seconds or a timestamp. Absent: none.</summary>
    public string CapturedAtColumn { get; init; } = "captured_at";

    public static Img2DatasetColumns Default { get; } = new();
}
