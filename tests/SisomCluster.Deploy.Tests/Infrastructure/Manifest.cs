using System.Text.Json;

namespace SisomCluster.Deploy.Tests.Infrastructure;

/// <summary>Reading rendered Kubernetes objects (JSON) the way the checks need them.</summary>
public static class Manifest
{
    public static string Kind(JsonElement o) => o.GetProperty("kind").GetString()!;

    public static string Name(JsonElement o) => o.GetProperty("metadata").GetProperty("name").GetString()!;

    public static IEnumerable<JsonElement> OfKind(IEnumerable<JsonElement> objects, string kind) => objects.Where(o => Kind(o) == kind);

    public static JsonElement Single(IEnumerable<JsonElement> objects, string kind, string name) =>
        objects.Single(o => Kind(o) == kind && Name(o) == name);

    public static string? Component(JsonElement o) =>
        o.GetProperty("metadata").TryGetProperty("labels", out JsonElement labels) && labels.TryGetProperty("app.kubernetes.io/component", out JsonElement c)
            ? c.GetString()
            : null;

    public static JsonElement PodSpec(JsonElement workload) => workload.GetProperty("spec").GetProperty("template").GetProperty("spec");

    public static JsonElement Container(JsonElement workload) => PodSpec(workload).GetProperty("containers")[0];

    public static IReadOnlyList<string> Strings(JsonElement parent, string property) =>
        parent.TryGetProperty(property, out JsonElement list) ? [.. list.EnumerateArray().Select(e => e.GetString()!)] : [];

    public static IReadOnlyList<string> EnvNames(JsonElement container) =>
        container.TryGetProperty("env", out JsonElement env) ? [.. env.EnumerateArray().Select(e => e.GetProperty("name").GetString()!)] : [];

    public static JsonElement Env(JsonElement container, string name) =>
        container.GetProperty("env").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

    public static IReadOnlyList<string> EnvFromConfigMaps(JsonElement container) =>
        container.TryGetProperty("envFrom", out JsonElement envFrom)
            ? [.. envFrom.EnumerateArray().Where(e => e.TryGetProperty("configMapRef", out _)).Select(e => e.GetProperty("configMapRef").GetProperty("name").GetString()!)]
            : [];

    public static IReadOnlyDictionary<string, string> MountPaths(JsonElement container) =>
        container.TryGetProperty("volumeMounts", out JsonElement mounts)
            ? mounts.EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("mountPath").GetString()!, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    public static string ProbePath(JsonElement container, string probe) =>
        container.GetProperty(probe).GetProperty("httpGet").GetProperty("path").GetString()!;

    public static string? Quantity(JsonElement container, string section, string resource) =>
        container.TryGetProperty("resources", out JsonElement r) && r.TryGetProperty(section, out JsonElement s) && s.TryGetProperty(resource, out JsonElement q)
            ? q.ValueKind == JsonValueKind.String ? q.GetString() : q.GetRawText()
            : null;

    /// <summary>JSON text with object properties sorted (kustomize sorts keys, helm keeps the template's order).</summary>
    public static string Canonical(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => JsonSerializer.Serialize(p.Name) + ":" + Canonical(p.Value))) + "}",
        JsonValueKind.Array => "[" + string.Join(",", element.EnumerateArray().Select(Canonical)) + "]",
        _ => element.GetRawText(),
    };

    public static IReadOnlyDictionary<string, string> Data(JsonElement configMap) =>
        configMap.GetProperty("data").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
}
