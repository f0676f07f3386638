using System.Text.Json;
using SisomCluster.Deploy.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Deploy.Tests.Monitoring;

/// <summary>
/// deploy/prometheus/sisom-rules.yml under promtool: the rules parse, every alert has unit tests that see it fire and
/// stay quiet, a broken expression fails those tests, the rules name only metrics the server exports, and the chart's
/// PrometheusRule carries the same rules.
/// </summary>
public sealed class PrometheusRulesTests
{
    private static readonly string Directory = RepositoryPaths.Of("deploy", "prometheus");
    private static readonly string RulesFile = Path.Combine(Directory, "sisom-rules.yml");

    private static string[] TestFiles => [.. System.IO.Directory.GetFiles(Path.Combine(Directory, "tests"), "*.yml").Order(StringComparer.Ordinal)];

    private static readonly Lazy<JsonElement> Rules = new(() => DeployTools.YamlToJson(RulesFile));

    private static IEnumerable<JsonElement> AllRules => Rules.Value.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray());

    private static IReadOnlyList<string> Alerts => [.. AllRules.Where(r => r.TryGetProperty("alert", out _)).Select(r => r.GetProperty("alert").GetString()!)];

    public static IReadOnlySet<string> RecordedNames => AllRules.Where(r => r.TryGetProperty("record", out _)).Select(r => r.GetProperty("record").GetString()!).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void Promtool_checks_the_rules_and_their_unit_tests_pass()
    {
        ToolResult check = Promtool.CheckRules(RulesFile);
        Assert.True(check.ExitCode == 0, check.Describe());
        Assert.Contains($"SUCCESS: {AllRules.Count()} rules found", check.Output, StringComparison.Ordinal);

        ToolResult test = Promtool.TestRules(TestFiles);
        Assert.True(test.ExitCode == 0, test.Describe());
    }

    [Fact]
    public void Every_alert_is_tested_firing_and_quiet()
    {
        var firing = new HashSet<string>(StringComparer.Ordinal);
        var quiet = new HashSet<string>(StringComparer.Ordinal);
        foreach (string file in TestFiles)
        {
            JsonElement document = DeployTools.YamlToJson(file);
            Assert.Equal("../sisom-rules.yml", document.GetProperty("rule_files")[0].GetString());
            foreach (JsonElement test in document.GetProperty("tests").EnumerateArray())
            {
                if (!test.TryGetProperty("alert_rule_test", out JsonElement alertTests))
                {
                    continue;
                }

                foreach (JsonElement alertTest in alertTests.EnumerateArray())
                {
                    string name = alertTest.GetProperty("alertname").GetString()!;
                    bool fires = alertTest.TryGetProperty("exp_alerts", out JsonElement expected) && expected.ValueKind == JsonValueKind.Array && expected.GetArrayLength() > 0;
                    (fires ? firing : quiet).Add(name);
                }
            }
        }

        Assert.Equal(5, Alerts.Count);
        Assert.All(Alerts, alert => Assert.True(firing.Contains(alert) && quiet.Contains(alert), $"{alert}: firing {firing.Contains(alert)}, quiet {quiet.Contains(alert)}"));
    }

    /// <summary>Plausible mistakes, one per alert (and the Wilson bound itself): each must fail the unit tests.</summary>
    public static TheoryData<string, string, string> Mutations => new()
    {
        // The raw rate instead of its Wilson lower bound: the 10-item run (1 flagged) would alert.
        { "SisomOodRateAboveExpected", "expr: sisom_run:ood_rate_wilson_lower:30m > sisom_run:ood_expected_rate:30m", "expr: sisom_run:ood_rate:30m > sisom_run:ood_expected_rate:30m" },
        // The upper bound instead of the lower one.
        { "sisom_run:ood_rate_wilson_lower:30m", "- 1.96 * sqrt(", "+ 1.96 * sqrt(" },
        { "SisomRunStalled", "sum by (run) (changes(sisom_run_shards{state=\"done\"}[30m])) == 0", "sum by (run) (changes(sisom_run_shards{state=\"done\"}[30m])) >= 0" },
        { "SisomShardsFailing", "expr: sum by (run) (sisom_run_shards{state=\"failed\"}) > 0", "expr: sum by (run) (sisom_run_shards{state=\"failed\"}) > 1" },
        { "SisomQueueLagHigh", "[15m]))) > 900", "[15m]))) > 1800" },
        // Summing the coordinator's and the api's count of the same queue doubles it.
        { "SisomErrorQueueNotEmpty", "expr: max by (queue) (sisom_error_queue_messages) > 0", "expr: sum by (queue) (sisom_error_queue_messages) > 0" },
    };

    [Theory]
    [MemberData(nameof(Mutations))]
    public void A_broken_expression_fails_the_unit_tests(string rule, string original, string broken)
    {
        string copy = System.IO.Directory.CreateTempSubdirectory("sisom-rules-").FullName;
        try
        {
            System.IO.Directory.CreateDirectory(Path.Combine(copy, "tests"));
            string rules = File.ReadAllText(RulesFile);
            Assert.True(rules.Split(original).Length == 2, $"the rules file should hold \"{original}\" once (rule {rule})");
            File.WriteAllText(Path.Combine(copy, "sisom-rules.yml"), rules.Replace(original, broken, StringComparison.Ordinal));
            foreach (string file in TestFiles)
            {
                File.Copy(file, Path.Combine(copy, "tests", Path.GetFileName(file)));
            }

            string mutated = Path.Combine(copy, "sisom-rules.yml");
            ToolResult check = Promtool.CheckRules(mutated);
            Assert.True(check.ExitCode == 0, "the broken rule still parses: " + check.Describe());
            ToolResult test = Promtool.TestRules([.. System.IO.Directory.GetFiles(Path.Combine(copy, "tests"), "*.yml")]);
            Assert.True(test.ExitCode != 0, $"promtool test rules passed with {rule} broken:{Environment.NewLine}{test.Output}");
            Assert.Contains("FAILED", test.Output + test.Error, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void The_rules_name_only_metrics_the_server_exports()
    {
        IReadOnlySet<string> recorded = RecordedNames;
        var unknown = new List<string>();
        foreach (JsonElement rule in AllRules)
        {
            string expression = rule.GetProperty("expr").GetString()!;
            unknown.AddRange(ExportedMetrics.Selected(expression).Where(n => !ExportedMetrics.Names.Contains(n) && !recorded.Contains(n)).Select(n => $"{n} in {expression.Trim()}"));
        }

        Assert.True(unknown.Count == 0, string.Join(Environment.NewLine, unknown));
        Assert.Contains("sisom_worker_ood_items_total", ExportedMetrics.Names);
        Assert.Contains("sisom_run_shards", ExportedMetrics.Names);
    }

    [Fact]
    public void The_metric_name_check_finds_a_name_the_server_does_not_export()
    {
        Assert.Equal(["sisom_worker_items_scored", "sisom_run_shards"], ExportedMetrics.Selected("sum by (run) (rate(sisom_worker_items_scored{outcome=\"scored\"}[5m])) / on (run) sisom_run_shards offset 30m"));
        Assert.DoesNotContain("sisom_worker_items_scored", ExportedMetrics.Names);
        Assert.Contains("sisom_worker_items_scored_total", ExportedMetrics.Names);
        Assert.Contains("sisom_queue_lag_seconds_bucket", ExportedMetrics.Names);
    }

    [Fact]
    public void The_chart_prometheus_rule_carries_the_rules_file()
    {
        Assert.False(DeployTools.HelmTemplate([.. HelmValues.Secrets]).Output.Contains("kind: PrometheusRule", StringComparison.Ordinal), "off by default");

        ToolResult rendered = DeployTools.HelmTemplateOnly("templates/prometheusrule.yaml", [.. HelmValues.Secrets, "monitoring.prometheusRule.enabled=true", "monitoring.prometheusRule.labels.release=kube-prometheus-stack"]);
        Assert.True(rendered.ExitCode == 0, rendered.Describe());
        string file = Path.Combine(Path.GetTempPath(), "sisom-prometheusrule-" + Guid.NewGuid().ToString("N") + ".yaml");
        string spec = Path.Combine(Path.GetTempPath(), "sisom-prometheusrule-spec-" + Guid.NewGuid().ToString("N") + ".yaml");
        try
        {
            File.WriteAllText(file, rendered.Output);
            JsonElement rule = DeployTools.YamlToJson(file);
            Assert.Equal("monitoring.coreos.com/v1", rule.GetProperty("apiVersion").GetString());
            Assert.Equal("PrometheusRule", rule.GetProperty("kind").GetString());
            Assert.Equal("sisom", rule.GetProperty("metadata").GetProperty("name").GetString());
            Assert.Equal("kube-prometheus-stack", rule.GetProperty("metadata").GetProperty("labels").GetProperty("release").GetString());
            Assert.Equal(Manifest.Canonical(Rules.Value), Manifest.Canonical(rule.GetProperty("spec")));

            // The rendered spec is itself a valid rules file.
            File.WriteAllText(spec, JsonSerializer.Serialize(rule.GetProperty("spec")));
            ToolResult check = Promtool.CheckRules(spec);
            Assert.True(check.ExitCode == 0, check.Describe());
        }
        finally
        {
            File.Delete(file);
            File.Delete(spec);
        }
    }
}
