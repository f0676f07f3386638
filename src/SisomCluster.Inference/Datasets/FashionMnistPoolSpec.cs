namespace SisomCluster.Inference.Datasets;

/// <summary>The shape of a <see cref="FashionMnistPool"/>.</summary>
public sealed record FashionMnistPoolSpec
{
    /// <summary>In-distribution images: classes 0–5.</summary>
    public int InDistribution { get; init; } = 1400;

    /// <summary>Near-OOD images: classes 6–9.</summary>
    public int NearOod { get; init; } = 600;

    /// <summary>Far-OOD images: uniform noise (even) and flat grey (odd).</summary>
    public int FarOod { get; init; } = 100;

    /// <summary>How many in-distribution images, first in pool order, are labeled.</summary>
    public int Labeled { get; init; } = 300;

    public int Tars { get; init; } = 8;

    /// <summary>Undecodable PNG members appended to every tar (fault tests).</summary>
    public int CorruptPerTar { get; init; }

    /// <summary>Mix the kinds across tars (a crawl's order) instead of in-distribution, near, far in sequence.</summary>
    public bool Shuffle { get; init; }

    /// <summary>
    /// Write a <c>.json</c> sidecar per image with <c>source</c> and <c>captured_at</c>, drifting on purpose: images are
    /// spread over <see cref="Hours"/> hours from 2026-11-01T00:00Z, OOD images only in the second half, and the far-OOD
    /// ones all from source <c>crawl-b</c> - so per-hour and per-source OOD rates have something to show.
    /// </summary>
    public bool Sidecars { get; init; }

    public int Hours { get; init; } = 12;

    public int Seed { get; init; } = 4;
}
