using SisomCluster.Core.States;

namespace SisomCluster.Lab.Evaluation;

/// <summary>
/// The intermediate layer states (SISOM.md §3.2) of every set <see cref="OodBenchmark"/> scores, in the same rows as
/// its features: with them the benchmark also reports SISOM and SISOMe on the multi-layer z.
/// </summary>
public sealed record OodLayerStates(LayerStates Labeled, LayerStates IdTest, IReadOnlyDictionary<string, LayerStates> Ood);
