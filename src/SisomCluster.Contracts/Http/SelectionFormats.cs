namespace SisomCluster.Contracts.Http;

/// <summary>
/// The selection exports a labeling tool reads (<c>GET /api/v1/runs/{id}/selection.{ext}</c>): Label Studio tasks JSON,
/// CSV and JSON Lines, each with the item's image URL.
/// </summary>
public static class SelectionFormats
{
    public const string LabelStudio = "label-studio";

    public const string Csv = "csv";

    public const string Jsonl = "jsonl";

    public static IReadOnlyList<string> All { get; } = [LabelStudio, Csv, Jsonl];

    /// <summary>The file name after <c>selection.</c> in the route.</summary>
    public static string Extension(string format) => format switch
    {
        LabelStudio => "labelstudio.json",
        Csv => "csv",
        Jsonl => "jsonl",
        _ => throw new ArgumentException($"unknown selection format '{format}'; use {string.Join(", ", All)}.", nameof(format)),
    };

    /// <summary>The task data key holding the SisomCluster item id, read back by <c>sisom labels import --format label-studio</c>.</summary>
    public const string ItemIdKey = "sisom_item_id";
}
