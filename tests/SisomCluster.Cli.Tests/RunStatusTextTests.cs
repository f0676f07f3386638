using SisomCluster.Cli.Cluster;
using SisomCluster.Contracts.Http;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>What <c>sisom run status</c> prints about messages parked in the broker's error queues.</summary>
public sealed class RunStatusTextTests
{
    [Fact]
    public void Parked_messages_are_a_warning_line_with_each_queue_and_what_they_mean()
    {
        var parked = new ParkedMessagesResponse(
            3,
            new Dictionary<string, long> { ["sisom-score-shard_error"] = 2, ["sisom-prepare-context_error"] = 1 },
            new DateTimeOffset(2026, 12, 3, 18, 0, 0, TimeSpan.Zero),
            "Not lost work: the coordinator sends the shard again.");

        string? line = RunCommand.DescribeParked(Run(parked));

        Assert.Equal(
            "warning: 3 message(s) parked in error queues at 2026-12-03 18:00:00Z (sisom-prepare-context_error: 1, sisom-score-shard_error: 2). Not lost work: the coordinator sends the shard again.",
            line);
        Assert.Null(RunCommand.DescribeParked(Run(null)));
    }

    private static RunResponse Run(ParkedMessagesResponse? parked) => new(
        Guid.Parse("3f2c9a1b-0000-0000-0000-000000000001"), Guid.NewGuid(), "pool", "resnet18", "v1", RunStates.Running, 10, 0.95, false, 100, 3,
        DateTimeOffset.UnixEpoch, null, null, null, new RunProgressResponse(2, 1, 1, 0, 0, 200, 0, 0, 0), ParkedMessages: parked);
}
