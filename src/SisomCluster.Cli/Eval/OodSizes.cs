namespace SisomCluster.Cli.Eval;

/// <summary>The set sizes of one <c>eval ood</c> run, printed with its tables.</summary>
internal sealed record OodSizes(int Labeled, int IdTest, int Near, int FarEach, int TrainImages);
