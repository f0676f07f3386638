namespace SisomCluster.Inference.Pools;

/// <summary>One WebDataset sample of a tar: its key, image member and (when asked for) bytes, and what its .json sidecar says.</summary>
internal sealed record TarSample(string Key, string ImageMember, byte[]? Image, string? Source, DateTimeOffset? CapturedAt, string? Error);
