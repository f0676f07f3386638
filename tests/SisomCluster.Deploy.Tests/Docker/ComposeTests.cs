using System.Text.Json;
using SisomCluster.Deploy.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Deploy.Tests.Docker;

/// <summary>docker/compose.yaml parsed (yaml, npm) and checked: services, images, start order, health checks, settings.</summary>
public sealed class ComposeTests
{
    private static readonly string[] ServerServices = ["coordinator", "aggregator", "api", "worker"];
    private static readonly Lazy<JsonElement> Compose = new(() => DeployTools.YamlToJson(RepositoryPaths.Of("docker", "compose.yaml")));

    private static JsonElement Services => Compose.Value.GetProperty("services");

    /// <summary>
    /// Only the top-level keys that both Compose v2 and Debian 12's docker-compose 1.29 accept (its schema refuses
    /// "name", for one): `docker-compose -f docker/compose.yaml config -q` passes with either (docker/README.md).
    /// </summary>
    [Fact]
    public void The_file_uses_only_top_level_keys_docker_compose_1_29_accepts()
    {
        string[] allowed = ["services", "volumes", "networks", "secrets", "configs"];
        string[] refused = [.. Compose.Value.EnumerateObject().Select(p => p.Name).Where(n => !allowed.Contains(n) && !n.StartsWith("x-", StringComparison.Ordinal))];
        Assert.True(refused.Length == 0, "docker-compose 1.29 refuses the top-level keys: " + string.Join(", ", refused));
    }

    [Fact]
    public void The_backing_services_use_pgvector_17_and_rabbitmq_3_management_with_health_checks()
    {
        Assert.Equal("pgvector/pgvector:pg17", Services.GetProperty("postgres").GetProperty("image").GetString());
        Assert.Equal("rabbitmq:3-management", Services.GetProperty("rabbitmq").GetProperty("image").GetString());
        Assert.True(Services.GetProperty("postgres").TryGetProperty("healthcheck", out _));
        Assert.True(Services.GetProperty("rabbitmq").TryGetProperty("healthcheck", out _));
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("aggregator")]
    [InlineData("api")]
    [InlineData("worker")]
    [InlineData("worker-gpu")]
    public void Each_role_runs_the_server_with_its_role_after_the_migration(string service)
    {
        JsonElement s = Services.GetProperty(service);
        string role = service.Split('-')[0];
        Assert.Equal(["--roles", role], Manifest.Strings(s, "command"));
        JsonElement dependsOn = s.GetProperty("depends_on");
        Assert.Equal("service_completed_successfully", dependsOn.GetProperty("migrate").GetProperty("condition").GetString());
        Assert.Equal("service_healthy", dependsOn.GetProperty("rabbitmq").GetProperty("condition").GetString());
        Assert.StartsWith("sisom-server", s.GetProperty("image").GetString(), StringComparison.Ordinal);
        string dockerfile = s.GetProperty("build").GetProperty("dockerfile").GetString()!;
        Assert.True(File.Exists(RepositoryPaths.Of(dockerfile)), dockerfile + " does not exist");
    }

    [Fact]
    public void The_migration_runs_sisom_server_migrate_once_postgres_is_healthy()
    {
        JsonElement migrate = Services.GetProperty("migrate");

        // The image's own entry point, /app/sisom-server: only the server touches the database.
        Assert.False(migrate.TryGetProperty("entrypoint", out _));
        Assert.Equal(["migrate"], Manifest.Strings(migrate, "command"));
        Assert.Equal("no", migrate.GetProperty("restart").GetString());
        Assert.Equal("service_healthy", migrate.GetProperty("depends_on").GetProperty("postgres").GetProperty("condition").GetString());
        Assert.True(migrate.GetProperty("environment").TryGetProperty("ConnectionStrings__Sisom", out _));
    }

    [Fact]
    public void There_are_two_cpu_workers_and_a_gpu_worker_behind_a_profile()
    {
        Assert.Equal(2, Services.GetProperty("worker").GetProperty("deploy").GetProperty("replicas").GetInt32());
        JsonElement gpu = Services.GetProperty("worker-gpu");
        Assert.Equal(["gpu"], Manifest.Strings(gpu, "profiles"));
        Assert.Equal("docker/Dockerfile.gpu", gpu.GetProperty("build").GetProperty("dockerfile").GetString());
        JsonElement device = gpu.GetProperty("deploy").GetProperty("resources").GetProperty("reservations").GetProperty("devices")[0];
        Assert.Equal("nvidia", device.GetProperty("driver").GetString());
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("aggregator")]
    [InlineData("api")]
    [InlineData("worker")]
    [InlineData("worker-gpu")]
    public void Every_setting_the_server_needs_at_start_up_is_set(string service)
    {
        JsonElement environment = Services.GetProperty(service).GetProperty("environment");
        string database = environment.GetProperty("ConnectionStrings__Sisom").GetString()!;
        Assert.Contains("Host=postgres;", database, StringComparison.Ordinal);
        Assert.Contains("Database=sisom;", database, StringComparison.Ordinal);
        Assert.StartsWith("amqp://", environment.GetProperty("ConnectionStrings__RabbitMq").GetString(), StringComparison.Ordinal);
        Assert.Contains("@rabbitmq:5672/", environment.GetProperty("ConnectionStrings__RabbitMq").GetString(), StringComparison.Ordinal);
        Assert.True(environment.TryGetProperty("Server__QueuePrefix", out _));
        if (service.StartsWith("worker", StringComparison.Ordinal) || service == "aggregator")
        {
            Assert.Contains(environment.GetProperty("Worker__Provider").GetString(), new[] { "Cpu", "Cuda" });
        }
    }

    [Fact]
    public void The_database_credentials_of_the_server_match_postgres()
    {
        JsonElement postgres = Services.GetProperty("postgres").GetProperty("environment");
        foreach (string service in ServerServices)
        {
            string database = Services.GetProperty(service).GetProperty("environment").GetProperty("ConnectionStrings__Sisom").GetString()!;
            Assert.Contains("Username=" + postgres.GetProperty("POSTGRES_USER").GetString() + ";", database, StringComparison.Ordinal);
            Assert.Contains("Password=" + postgres.GetProperty("POSTGRES_PASSWORD").GetString(), database, StringComparison.Ordinal);
        }
    }
}
