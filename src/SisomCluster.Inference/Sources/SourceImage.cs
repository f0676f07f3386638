namespace SisomCluster.Inference.Sources;

/// <summary>One encoded image of a pool: a stable id and its bytes.</summary>
public sealed record SourceImage(string Id, ReadOnlyMemory<byte> Bytes);
