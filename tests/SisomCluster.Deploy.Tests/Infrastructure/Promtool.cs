namespace SisomCluster.Deploy.Tests.Infrastructure;

/// <summary>
/// Prometheus's promtool (Debian package <c>prometheus</c>; ./test.sh installs it when missing): <c>check rules</c>
/// parses every expression, <c>test rules</c> runs the unit tests of deploy/prometheus/tests.
/// </summary>
public static class Promtool
{
    private static readonly Lazy<string> PathLazy = new(() =>
        Tool.FindOnPath("promtool")
        ?? throw new InvalidOperationException("promtool is not on PATH: apt-get install -y --no-install-recommends prometheus (./test.sh does it)"));

    public static string Path => PathLazy.Value;

    public static ToolResult CheckRules(params string[] files) => Tool.Run(Path, ["check", "rules", .. files]);

    public static ToolResult TestRules(params string[] files) => Tool.Run(Path, ["test", "rules", .. files]);

    /// <summary>Checks PromQL expressions by writing them as recording rules of a temporary rules file.</summary>
    public static ToolResult CheckExpressions(IEnumerable<string> expressions)
    {
        string file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sisom-promql-" + Guid.NewGuid().ToString("N") + ".yml");
        var lines = new List<string> { "groups:", "  - name: expressions", "    rules:" };
        int i = 0;
        foreach (string expression in expressions)
        {
            lines.Add($"      - record: expression_{i++}");
            lines.Add("        expr: " + System.Text.Json.JsonSerializer.Serialize(expression));
        }

        File.WriteAllLines(file, lines);
        try
        {
            return CheckRules(file);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
