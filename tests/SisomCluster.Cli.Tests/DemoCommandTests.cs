using System.Globalization;
using System.Text.Json;
using SisomCluster.Data.Access;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary><c>sisom demo</c> end to end on a small pool: real servers, RabbitMQ and PostgreSQL (a schema of its own).</summary>
[Collection(ConfigEnvironment.Name)]
public sealed class DemoCommandTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ConfigEnvironment _environment = new();

    public void Dispose()
    {
        _environment.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task Demo_scores_a_pool_and_prints_selection_auroc_and_dashboard()
    {
        string rabbit = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        string config = _directory.File("config/config.json");
        ConfigEnvironment.Isolate(config);
        CliResult demo = CliResult.Run(
            "demo", "--in-distribution", "90", "--near-ood", "30", "--far-ood", "6", "--labeled", "40", "--tars", "2", "--workers", "1", "--budget", "12",
            "--port", "0", "--exit", "--no-services", "--connection", database.ConnectionString, "--rabbitmq", rabbit, "--work-dir", _directory.File("demo"));

        Assert.True(demo.ExitCode == 0, demo.ToString());
        Assert.Contains("scored 126 of 126 items", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("selection: 12 items for labeling", demo.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"dashboard: http://127\.0\.0\.1:\d+/#key=sisom_\w+_\S+", demo.Stdout);
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM api_keys WHERE scopes = ARRAY['read'] AND revoked_at IS NULL"));

        // The demo logs the CLI in: its config names the demo's server and a write key (stored only as a hash).
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsWindows() ? UnixFileMode.UserRead | UnixFileMode.UserWrite : File.GetUnixFileMode(config));
        using (JsonDocument saved = JsonDocument.Parse(File.ReadAllText(config)))
        {
            Assert.Matches(@"^http://127\.0\.0\.1:\d+$", saved.RootElement.GetProperty("server").GetString());
            Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM api_keys WHERE secret_hash = $1 AND scopes = ARRAY['write']", ApiKeySecret.Hash(saved.RootElement.GetProperty("api_key").GetString()!)));
        }
        string sisom = demo.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("SISOM ", StringComparison.Ordinal));
        double auroc = double.Parse(sisom.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        Assert.InRange(auroc, 0.6, 1.0);

        // What the summary printed is what the cluster stored.
        Assert.Equal(12, await database.CountAsync("SELECT count(*) FROM selections"));
        Assert.Equal(126, await database.CountAsync("SELECT count(*) FROM item_scores"));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM selections s JOIN item_scores i USING (run_id, item_id) WHERE i.ood_sisom"));
    }

    [Fact]
    public void Demo_rejects_more_labels_than_in_distribution_items()
    {
        CliResult demo = CliResult.Run("demo", "--in-distribution", "10", "--labeled", "20", "--no-services");
        Assert.Equal(2, demo.ExitCode);
        Assert.Contains("--labeled (20) cannot exceed --in-distribution (10)", demo.Stderr, StringComparison.Ordinal);
    }
}
