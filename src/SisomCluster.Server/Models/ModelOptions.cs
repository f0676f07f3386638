using System.ComponentModel.DataAnnotations;
using SisomCluster.Inference.Extraction;

namespace SisomCluster.Server.Models;

/// <summary>
/// How a process runs its models (<see cref="ModelCache"/>). The settings keep their <c>Worker__</c> names
/// (<c>Worker__Provider</c>, <c>Worker__IntraOpThreads</c>, <c>Worker__ModelCache</c>): deployments set them for the
/// workers and the aggregator alike, and renaming them would break every existing values file.
/// </summary>
public sealed class ModelOptions
{
    public const string SectionName = "Worker";

    [Range(0, 256)]
    public int IntraOpThreads { get; set; }

    public ExecutionProvider Provider { get; set; } = ExecutionProvider.Auto;

    /// <summary>Where models are prepared (the default ResNet-18's dynamic-batch copy).</summary>
    public string ModelCache { get; set; } = Path.Combine(Path.GetTempPath(), "sisom-models");
}
