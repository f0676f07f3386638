namespace SisomCluster.Server.Models;

/// <summary>Where the operator keeps the models runs may name (<c>Models__Directory</c>).</summary>
public sealed class ModelDirectoryOptions
{
    public const string SectionName = "Models";

    /// <summary>
    /// A folder of <c>&lt;name&gt;.onnx</c> files, each with its <c>&lt;name&gt;.manifest.json</c> beside it; a run names
    /// one as <c>model: "&lt;name&gt;"</c>. Empty (the default): only the built-in <c>resnet18</c>. The api role lists it to
    /// check a run's model; workers and the aggregator load from it, so every role needs the same folder mounted.
    /// </summary>
    public string? Directory { get; set; }
}
