namespace SisomCluster.Inference.Datasets;

public enum FashionMnistPoolItemKind
{
    InDistribution,
    NearOod,
    FarOod,
    Corrupt,
}
