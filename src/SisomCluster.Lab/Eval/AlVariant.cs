using SisomCluster.Core;
using SisomCluster.Lab.ActiveLearning;

namespace SisomCluster.Lab.Eval;

/// <summary>One setting of <c>eval al</c> (closed or open set): its test set, how a seed builds the pool, and the runs.</summary>
internal sealed record AlVariant(string Name, string Title, int ClassCount, FeatureMatrix Test, int[] TestLabels, Func<int, (FeatureMatrix Pool, int[] Labels)> Pool)
{
    public List<ActiveLearningRun> Runs { get; } = [];
}
