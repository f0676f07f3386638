using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SisomCluster.Server.Aggregator;
using SisomCluster.Server.Coordinator;
using Xunit;

namespace SisomCluster.Server.Tests.Messaging;

/// <summary>
/// The coordinator's and aggregator's loops survive PostgreSQL or RabbitMQ being away: every pass fails here, with the
/// exceptions such an outage throws — a timeout that surfaces as a cancellation included — and the loop keeps going.
/// </summary>
public sealed class BackgroundLoopTests
{
    public static TheoryData<string, int> Faults => new()
    {
        { "PendingRunLauncher", 0 },
        { "PendingRunLauncher", 1 },
        { "LeaseMonitor", 0 },
        { "LeaseMonitor", 1 },
        { "RunSweeper", 0 },
        { "RunSweeper", 1 },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_failing_pass_never_ends_the_loop(string service, int fault)
    {
        var scopes = new FailingScopes(fault == 0
            ? () => new TaskCanceledException("injected: a command timed out while the server was away")
            : () => new InvalidOperationException("injected: the broker is unreachable"));
        BackgroundService loop = service switch
        {
            "PendingRunLauncher" => new PendingRunLauncher(scopes, Options.Create(new CoordinatorOptions()), TimeProvider.System, NullLogger<PendingRunLauncher>.Instance),
            "LeaseMonitor" => new LeaseMonitor(scopes, Options.Create(new CoordinatorOptions { LeaseCheckSeconds = 1 }), TimeProvider.System, NullLogger<LeaseMonitor>.Instance),
            _ => new RunSweeper(scopes, Options.Create(new AggregatorOptions { SweepSeconds = 1 }), TimeProvider.System, NullLogger<RunSweeper>.Instance),
        };

        await loop.StartAsync(CancellationToken.None);
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (scopes.Calls < 3 && DateTime.UtcNow < deadline && loop.ExecuteTask is { IsCompleted: false })
        {
            await Task.Delay(100);
        }

        Assert.False(loop.ExecuteTask!.IsCompleted, $"the loop ended after {scopes.Calls} failed passes: {loop.ExecuteTask.Exception?.InnerException?.Message}");
        Assert.True(scopes.Calls >= 3, $"only {scopes.Calls} passes in 20 s");
        await loop.StopAsync(CancellationToken.None);
        Assert.True(loop.ExecuteTask.IsCompletedSuccessfully || loop.ExecuteTask.IsCanceled, "the loop did not stop cleanly");
        loop.Dispose();
    }
}
