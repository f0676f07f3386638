using System.Text.Json;
using SisomCluster.Cli.Tests;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Lab.Tests.Bench;

/// <summary>
/// One repetition of every fault of <c>sisom bench chaos</c> (issue 12 §5), with real server processes on a private
/// PostgreSQL (:55497) and RabbitMQ (:5697) of the test's own, down times of 5 s: every run completes, nothing is
/// lost, nothing is duplicated, nothing is stuck, and each fault really landed mid-run.
/// </summary>
public sealed class BenchChaosTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void One_repetition_of_every_fault_loses_duplicates_and_sticks_nothing()
    {
        string json = _directory.File("chaos.json");
        LabResult chaos = LabResult.Run(
            "bench", "chaos", "--repeat", "1", "--down-seconds", "5", "--items", "3000", "--postgres-port", "55497", "--rabbitmq-port", "5697",
            "--work-dir", _directory.File("work"), "--out", json);
        output.WriteLine(chaos.ToString());

        Assert.True(File.Exists(json), chaos.ToString());
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement[] results = document.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(
            ["worker-kill", "rabbitmq-down", "postgres-down", "queue-purge", "duplicate-delivery", "poison-shard", "coordinator-restart"],
            results.Select(r => r.GetProperty("fault").GetString()));
        var failures = results
            .Where(r => !(r.GetProperty("injected").GetBoolean()
                && r.GetProperty("state").GetString() == "completed"
                && r.GetProperty("lost").GetInt64() == 0
                && r.GetProperty("duplicates").GetInt64() == 0
                && r.GetProperty("stuck").GetInt64() == 0
                && r.GetProperty("scored").GetInt64() + r.GetProperty("failed").GetInt64() == r.GetProperty("pool_items").GetInt64()))
            .Select(r => r.ToString())
            .ToList();
        Assert.True(failures.Count == 0, $"failed cases:\n{string.Join('\n', failures)}\n{chaos}");

        // The poison shard fails (exactly it), no other fault fails a shard, and the markdown table is beside the JSON.
        Assert.All(results, r => Assert.Equal(r.GetProperty("fault").GetString() == "poison-shard" ? 1 : 0, r.GetProperty("failed_shards").GetInt32()));
        Assert.True(File.Exists(Path.ChangeExtension(json, ".md")));
        Assert.Equal(0, chaos.ExitCode);
    }
}
