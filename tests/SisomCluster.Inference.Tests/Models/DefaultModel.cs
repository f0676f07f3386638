using SisomCluster.Inference.Models;

namespace SisomCluster.Inference.Tests.Models;

/// <summary>The default ResNet-18 prepared once per test run into a temporary directory.</summary>
public static class DefaultModel
{
    private static readonly Lazy<(string Directory, ModelPackage Package)> Prepared = new(() =>
    {
        string directory = Path.Combine(Path.GetTempPath(), "sisom-tests-model-" + Environment.ProcessId);
        string path = DefaultModels.PrepareResNet18(directory);
        return (directory, ModelPackage.Load(path));
    });

    public static string Directory => Prepared.Value.Directory;

    public static ModelPackage Package => Prepared.Value.Package;
}
