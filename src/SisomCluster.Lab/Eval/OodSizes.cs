namespace SisomCluster.Lab.Eval;

/// <summary>The set sizes of one <c>eval ood</c> run, printed with its tables.</summary>
internal sealed record OodSizes(int Labeled, int IdTest, int Near, int FarEach, int TrainImages);

/// <summary>What a run of <c>eval ood</c> used besides the defaults: the model's own head, the layers of the multi-layer rows, the file prefix.</summary>
internal sealed record OodSetup(string? ModelHead, string? Layers, string Prefix)
{
    /// <summary>The α chosen per seed (and r_avg over the grid) for every <c>TENSOR:auto</c> layer; null when none is auto.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Core.Scoring.LayerAlphaChoice>>? LayerAlphas { get; init; }
}
