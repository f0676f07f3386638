namespace SisomCluster.Inference.Datasets;

/// <summary>One image of a <see cref="FashionMnistPool"/>: its pool id (<c>&lt;tar&gt;/&lt;key&gt;</c>), what it is, and its label if labeled.</summary>
public sealed record FashionMnistPoolItem(string Id, FashionMnistPoolItemKind Kind, int? Class, bool Labeled)
{
    public bool IsOod => Kind is FashionMnistPoolItemKind.NearOod or FashionMnistPoolItemKind.FarOod;
}
