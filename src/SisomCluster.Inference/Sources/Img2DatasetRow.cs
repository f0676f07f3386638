namespace SisomCluster.Inference.Sources;

/// <summary>One downloaded row of an img2dataset parquet.</summary>
internal sealed record Img2DatasetRow(string Key, string? Source, DateTimeOffset? CapturedAt);
