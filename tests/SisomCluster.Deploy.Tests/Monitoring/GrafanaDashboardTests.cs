using System.Text.Json;
using System.Text.RegularExpressions;
using SisomCluster.Deploy.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Deploy.Tests.Monitoring;

/// <summary>
/// deploy/grafana/sisom-dashboard.json: every query parses (promtool) and selects only metrics the server exports or
/// the rules file records, and the chart ships it as a ConfigMap for the Grafana sidecar.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    private static readonly string DashboardFile = RepositoryPaths.Of("deploy", "grafana", "sisom-dashboard.json");

    private static readonly Lazy<JsonElement> Dashboard = new(() =>
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        return document.RootElement.Clone();
    });

    /// <summary>Every target's expr, panels in rows included, with Grafana's variables replaced by values PromQL accepts.</summary>
    private static IReadOnlyList<(string Panel, string Expression)> Queries()
    {
        var queries = new List<(string, string)>();
        void Walk(JsonElement panels)
        {
            foreach (JsonElement panel in panels.EnumerateArray())
            {
                if (panel.TryGetProperty("panels", out JsonElement nested))
                {
                    Walk(nested);
                }

                if (panel.TryGetProperty("targets", out JsonElement targets))
                {
                    queries.AddRange(targets.EnumerateArray().Select(t => (panel.GetProperty("title").GetString()!, Substitute(t.GetProperty("expr").GetString()!))));
                }
            }
        }

        Walk(Dashboard.Value.GetProperty("panels"));
        return queries;
    }

    private static string Substitute(string expression) =>
        GrafanaVariable().Replace(expression, m => m.Groups[1].Value switch
        {
            "__rate_interval" or "__interval" => "5m",
            "__range" => "1h",
            _ => ".*",
        });

    [Fact]
    public void Every_query_parses_and_names_only_exported_or_recorded_metrics()
    {
        IReadOnlyList<(string Panel, string Expression)> queries = Queries();
        Assert.True(queries.Count >= 10, $"{queries.Count} queries");

        ToolResult check = Promtool.CheckExpressions(queries.Select(q => q.Expression));
        Assert.True(check.ExitCode == 0, check.Describe());

        IReadOnlySet<string> recorded = PrometheusRulesTests.RecordedNames;
        string[] unknown = [.. queries.SelectMany(q => ExportedMetrics.Selected(q.Expression)
            .Where(n => !ExportedMetrics.Names.Contains(n) && !recorded.Contains(n))
            .Select(n => $"{q.Panel}: {n}"))];
        Assert.True(unknown.Length == 0, "not exported by the server: " + string.Join(", ", unknown));

        // Every instrument of the server is on the dashboard (histograms through their buckets or sums).
        string all = string.Join("\n", queries.Select(q => q.Expression));
        string[] unused = [.. ExportedMetrics.Names.Where(n => !n.EndsWith("_count", StringComparison.Ordinal) && !all.Contains(n, StringComparison.Ordinal))
            .Where(n => !(n.EndsWith("_bucket", StringComparison.Ordinal) && all.Contains(n[..^"_bucket".Length] + "_sum", StringComparison.Ordinal))
                     && !(n.EndsWith("_sum", StringComparison.Ordinal) && all.Contains(n[..^"_sum".Length] + "_bucket", StringComparison.Ordinal)))];
        Assert.True(unused.Length == 0, "exported but on no panel: " + string.Join(", ", unused));
    }

    [Fact]
    public void A_query_with_a_misspelt_metric_is_caught()
    {
        string misspelt = Substitute("sum by (run) (rate(sisom_worker_items_scored{run=~\"$run\"}[$__rate_interval]))");
        Assert.Equal(["sisom_worker_items_scored"], ExportedMetrics.Selected(misspelt).Where(n => !ExportedMetrics.Names.Contains(n)));
        ToolResult broken = Promtool.CheckExpressions(["sum by (run) (rate(sisom_worker_items_scored_total[5m])"]);
        Assert.NotEqual(0, broken.ExitCode);
    }

    [Fact]
    public void The_chart_ships_the_dashboard_for_the_grafana_sidecar()
    {
        Assert.False(DeployTools.HelmTemplate([.. HelmValues.Secrets]).Output.Contains("grafana_dashboard", StringComparison.Ordinal), "off by default");

        ToolResult rendered = DeployTools.HelmTemplate([.. HelmValues.Secrets, "monitoring.grafanaDashboard.enabled=true", "monitoring.grafanaDashboard.annotations.grafana_folder=SisomCluster"]);
        Assert.True(rendered.ExitCode == 0, rendered.Describe());
        JsonElement map = Manifest.Single(DeployTools.ValidObjects(rendered.Output), "ConfigMap", "sisom-grafana-dashboard");
        Assert.Equal("1", map.GetProperty("metadata").GetProperty("labels").GetProperty("grafana_dashboard").GetString());
        Assert.Equal("SisomCluster", map.GetProperty("metadata").GetProperty("annotations").GetProperty("grafana_folder").GetString());
        string json = Manifest.Data(map)["sisom-dashboard.json"];
        Assert.Equal(File.ReadAllText(DashboardFile).TrimEnd(), json.TrimEnd());
        using JsonDocument parsed = JsonDocument.Parse(json);
        Assert.Equal("sisom-cluster", parsed.RootElement.GetProperty("uid").GetString());
    }

    [GeneratedRegex(@"\$\{?(\w+)(?::\w+)?\}?")]
    private static partial Regex GrafanaVariable();
}
