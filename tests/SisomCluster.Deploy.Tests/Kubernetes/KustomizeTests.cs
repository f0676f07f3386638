using System.Text.Json;
using SisomCluster.Deploy.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Deploy.Tests.Kubernetes;

/// <summary>deploy/k8s rendered with kubectl kustomize, every object validated with kubernetes-models, then checked against the code.</summary>
public sealed class KustomizeTests
{
    public static readonly string[] Roles = ["coordinator", "aggregator", "worker", "api"];

    private static readonly Lazy<IReadOnlyList<JsonElement>> Base = new(() => DeployTools.ValidObjects(DeployTools.Kustomize("base")));
    private static readonly Lazy<IReadOnlyList<JsonElement>> Cpu = new(() => DeployTools.ValidObjects(DeployTools.Kustomize("overlays/cpu")));

    internal static IReadOnlyList<JsonElement> BaseObjects => Base.Value;

    internal static IReadOnlyList<JsonElement> CpuObjects => Cpu.Value;

    [Theory]
    [InlineData("base")]
    [InlineData("overlays/cpu")]
    [InlineData("migrate")]
    public void Every_rendered_object_passes_the_kubernetes_schemas(string folder)
    {
        ToolResult result = DeployTools.Validate(DeployTools.Kustomize(folder));
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    [Fact]
    public void The_validator_rejects_a_broken_object()
    {
        string broken = DeployTools.Kustomize("base").Replace("containerPort: 8080", "containerPort: http", StringComparison.Ordinal);
        ToolResult result = DeployTools.Validate(broken);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("containerPort must be integer", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_validator_rejects_a_rabbitmq_trigger_without_a_queue()
    {
        string broken = DeployTools.Kustomize("base").Replace("queueName:", "queue:", StringComparison.Ordinal);
        ToolResult result = DeployTools.Validate(broken);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("queueName is missing", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("aggregator")]
    [InlineData("worker")]
    [InlineData("api")]
    public void Each_role_is_a_deployment_of_the_server_started_with_its_role(string role)
    {
        JsonElement deployment = Manifest.Single(BaseObjects, "Deployment", "sisom-" + role);
        JsonElement container = Manifest.Container(deployment);
        Assert.Equal(["--roles", role], Manifest.Strings(container, "args"));
        Assert.Equal(8080, container.GetProperty("ports")[0].GetProperty("containerPort").GetInt32());
        Assert.Equal("/healthz", Manifest.ProbePath(container, "readinessProbe"));
        Assert.Equal("/healthz", Manifest.ProbePath(container, "livenessProbe"));
        Assert.Equal(role, Manifest.Component(deployment));
        foreach (string name in ServerSettings.ConnectionStrings)
        {
            Assert.Equal("sisom-secrets", Manifest.Env(container, name).GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("name").GetString());
        }

        Assert.Equal(["sisom-config"], Manifest.EnvFromConfigMaps(container));
        Assert.True(Manifest.PodSpec(deployment).GetProperty("securityContext").GetProperty("runAsNonRoot").GetBoolean());
        Assert.Equal(Roles.Length, Manifest.OfKind(BaseObjects, "Deployment").Count());
    }

    [Fact]
    public void The_config_map_sets_every_option_of_the_server_and_nothing_else()
    {
        IReadOnlyDictionary<string, string> data = Manifest.Data(Manifest.Single(BaseObjects, "ConfigMap", "sisom-config"));
        string[] unknown = [.. data.Keys.Except(ServerSettings.Options)];
        Assert.True(unknown.Length == 0, "not an option of the server: " + string.Join(", ", unknown));
        string[] missing = [.. ServerSettings.Options.Except(ServerSettings.PerDeployment).Except(ServerSettings.Defaulted).Except(data.Keys)];
        Assert.True(missing.Length == 0, "options missing from sisom-config: " + string.Join(", ", missing));
    }

    [Fact]
    public void Keda_scales_the_workers_on_the_score_shard_queue_of_the_configured_prefix()
    {
        string prefix = Manifest.Data(Manifest.Single(BaseObjects, "ConfigMap", "sisom-config"))[ServerSettings.QueuePrefix];
        JsonElement scaled = Manifest.Single(BaseObjects, "ScaledObject", "sisom-worker");
        JsonElement trigger = scaled.GetProperty("spec").GetProperty("triggers")[0];
        Assert.Equal("rabbitmq", trigger.GetProperty("type").GetString());
        Assert.Equal(ServerSettings.ScoreShardQueue(prefix), trigger.GetProperty("metadata").GetProperty("queueName").GetString());
        Assert.Equal("sisom-score-shard", ServerSettings.ScoreShardQueue("sisom"));

        string target = scaled.GetProperty("spec").GetProperty("scaleTargetRef").GetProperty("name").GetString()!;
        JsonElement worker = Manifest.Single(BaseObjects, "Deployment", target);
        Assert.Equal("worker", Manifest.Component(worker));

        // Ready + unacknowledged messages: the management API (protocol http), not AMQP's ready count (kedacore/keda#1325).
        JsonElement metadata = trigger.GetProperty("metadata");
        Assert.Equal("http", metadata.GetProperty("protocol").GetString());
        Assert.Equal("QueueLength", metadata.GetProperty("mode").GetString());
        Assert.False(metadata.TryGetProperty("hostFromEnv", out _), "the management URL comes from the TriggerAuthentication");
        string authentication = trigger.GetProperty("authenticationRef").GetProperty("name").GetString()!;
        JsonElement secretRef = Assert.Single(Manifest.Single(BaseObjects, "TriggerAuthentication", authentication).GetProperty("spec").GetProperty("secretTargetRef").EnumerateArray());
        Assert.Equal("host", secretRef.GetProperty("parameter").GetString());
        Assert.Equal("rabbitmq-management", secretRef.GetProperty("key").GetString());
        string workerSecret = Manifest.Env(Manifest.Container(worker), "ConnectionStrings__RabbitMq").GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("name").GetString()!;
        Assert.Equal(workerSecret, secretRef.GetProperty("name").GetString());
    }

    [Fact]
    public void A_scaled_in_worker_has_time_to_commit_or_give_back_its_shard()
    {
        JsonElement worker = Manifest.Single(BaseObjects, "Deployment", "sisom-worker");
        int grace = Manifest.PodSpec(worker).GetProperty("terminationGracePeriodSeconds").GetInt32();
        int shutdown = int.Parse(Manifest.Env(Manifest.Container(worker), "shutdownTimeoutSeconds").GetProperty("value").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(grace >= shutdown + 30, $"terminationGracePeriodSeconds {grace} < shutdownTimeoutSeconds {shutdown} + 30");
        int lease = int.Parse(Manifest.Data(Manifest.Single(BaseObjects, "ConfigMap", "sisom-config"))["Worker__LeaseSeconds"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(shutdown >= lease, $"shutdownTimeoutSeconds {shutdown} < Worker__LeaseSeconds {lease}");
    }

    [Fact]
    public void Workers_request_a_gpu_in_the_base_and_none_in_the_cpu_overlay()
    {
        JsonElement gpu = Manifest.Container(Manifest.Single(BaseObjects, "Deployment", "sisom-worker"));
        Assert.Equal("1", Manifest.Quantity(gpu, "limits", "nvidia.com/gpu"));
        Assert.Equal("Cuda", Manifest.Env(gpu, "Worker__Provider").GetProperty("value").GetString());
        Assert.StartsWith("sisom-server-gpu:", gpu.GetProperty("image").GetString(), StringComparison.Ordinal);

        JsonElement cpu = Manifest.Container(Manifest.Single(CpuObjects, "Deployment", "sisom-worker"));
        Assert.Null(Manifest.Quantity(cpu, "limits", "nvidia.com/gpu"));
        Assert.Null(Manifest.Quantity(cpu, "requests", "nvidia.com/gpu"));
        Assert.Equal("Cpu", Manifest.Env(cpu, "Worker__Provider").GetProperty("value").GetString());
        Assert.StartsWith("sisom-server:", cpu.GetProperty("image").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_migration_job_runs_sisom_server_migrate_with_the_database_only()
    {
        IReadOnlyList<JsonElement> objects = DeployTools.ValidObjects(DeployTools.Kustomize("migrate"));
        JsonElement container = Manifest.Container(Manifest.Single(objects, "Job", "sisom-migrate"));
        Assert.Equal(["/app/sisom-server", "migrate"], Manifest.Strings(container, "command"));
        Assert.Equal(["ConnectionStrings__Sisom"], Manifest.EnvNames(container));
    }
}
