namespace SisomCluster.Data.Labels;

/// <summary>The class of a pool item as a human labeled it (<c>labels</c> table).</summary>
public sealed class ItemLabel
{
    public Guid PoolId { get; set; }

    public required string ItemId { get; set; }

    /// <summary>Class index in 0..K−1.</summary>
    public int Label { get; set; }

    /// <summary>The class name, when the import knew the class names.</summary>
    public string? LabelName { get; set; }

    public DateTimeOffset ImportedAt { get; set; }

    /// <summary>The import that wrote the row (<see cref="LabelImportResult.ImportId"/>).</summary>
    public Guid ImportId { get; set; }
}
