namespace SisomCluster.Data.Pools;

/// <summary>An item to register in a pool (<see cref="ItemRegistry.AddItemsAsync"/>).</summary>
public sealed record ItemRow(string ItemId, string? Uri = null, string? Source = null, DateTimeOffset? CapturedAt = null);
