using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Server.Models;

/// <summary>
/// The models a run may name: the built-in <c>resnet18</c> and each <c>&lt;name&gt;.onnx</c> at the top of
/// <see cref="ModelDirectoryOptions.Directory"/>. A run's model is a name, never a path: <c>/</c>, <c>\</c>, <c>..</c>,
/// an absolute name or a name not in the list is refused (the api answers 400 with the known names), and a model file
/// that is a symbolic link out of the folder is not a model. The api role checks with it; workers and the aggregator
/// resolve through it (<see cref="ModelCache"/>), so a row written by hand cannot make them load an arbitrary file.
/// </summary>
public sealed partial class ModelRegistry(IOptions<ModelDirectoryOptions> directory, IOptions<ModelOptions> options)
{
    /// <summary>Longest model name.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The known names: <c>resnet18</c> first, then the folder's models in ordinal order (listed at each call).</summary>
    public IReadOnlyList<string> Names()
    {
        var names = new List<string> { DefaultModels.ResNet18Name };
        if (Folder() is { } folder && Directory.Exists(folder))
        {
            names.AddRange(Directory.EnumerateFiles(folder, "*.onnx", new EnumerationOptions { MatchType = MatchType.Simple, AttributesToSkip = 0 })
                .Select(Path.GetFileNameWithoutExtension)
                .OfType<string>()
                .Where(n => IsName(n) && !IsBuiltIn(n) && FileIn(folder, n) is not null)
                .Order(StringComparer.Ordinal));
        }

        return names;
    }

    /// <summary>Why <paramref name="model"/> cannot be used (naming the known models), or null when it names a known model.</summary>
    public string? Problem(string? model)
    {
        if (string.IsNullOrWhiteSpace(model) || !IsName(model))
        {
            return $"give a model by name (letters, digits, '.', '-', '_'; no path), one of: {string.Join(", ", Names())}.";
        }

        return IsBuiltIn(model) || Names().Contains(model, StringComparer.Ordinal)
            ? null
            : $"no model named '{model}'; known: {string.Join(", ", Names())}.";
    }

    /// <summary>Loads the model named <paramref name="model"/> (the built-in is prepared under <see cref="ModelOptions.ModelCache"/>).</summary>
    /// <exception cref="ArgumentException">Not a known model name.</exception>
    public ModelPackage Resolve(string model)
    {
        if (Problem(model) is { } problem)
        {
            throw new ArgumentException($"model: {problem}", nameof(model));
        }

        if (IsBuiltIn(model))
        {
            return DefaultModels.Resolve(DefaultModels.ResNet18Name, options.Value.ModelCache);
        }

        string folder = Folder()!;
        string path = FileIn(folder, model) ?? throw new ArgumentException($"model: no model named '{model}'.", nameof(model));
        return ModelPackage.Load(path);
    }

    /// <summary>
    /// The class names of the model's own head from its manifest (<c>class_names</c>), or null when it gives none (the
    /// built-in backbone has no head). Reads the manifest only, not the ONNX file.
    /// </summary>
    /// <exception cref="ArgumentException">Not a known model name.</exception>
    public IReadOnlyList<string>? ClassNames(string model)
    {
        if (Problem(model) is { } problem)
        {
            throw new ArgumentException($"model: {problem}", nameof(model));
        }

        if (IsBuiltIn(model))
        {
            return null;
        }

        string path = FileIn(Folder()!, model) ?? throw new ArgumentException($"model: no model named '{model}'.", nameof(model));
        string manifest = ModelPackage.ManifestPathFor(path);
        return File.Exists(manifest) ? ModelManifest.Parse(File.ReadAllText(manifest), manifest).ClassNames : null;
    }

    private string? Folder() => string.IsNullOrWhiteSpace(directory.Value.Directory) ? null : Path.GetFullPath(directory.Value.Directory);

    /// <summary>The model file's real path when it is a file that lies in the folder (a link out of it is not a model).</summary>
    private static string? FileIn(string folder, string name)
    {
        string path = Path.Combine(folder, name + ".onnx");
        if (!File.Exists(path))
        {
            return null;
        }

        var roots = new PoolRoots([folder]);
        return roots.Allows(path) ? path : null;
    }

    private static bool IsBuiltIn(string name) => string.Equals(name, DefaultModels.ResNet18Name, StringComparison.OrdinalIgnoreCase);

    private static bool IsName(string name) => name.Length <= MaxNameLength && NamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
