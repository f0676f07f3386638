using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Coordinator;
using SisomCluster.Server.Tests.Messaging;
using Xunit;

namespace SisomCluster.Server.Tests.Coordinator;

/// <summary>
/// The launcher looks for pending runs as soon as a run request is announced (<see cref="RunAnnouncements"/>), not at
/// its next poll: with the poll set to an hour, a pass still follows an announcement within seconds.
/// </summary>
public sealed class PendingRunLauncherTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task An_announced_run_request_wakes_the_launcher_long_before_its_poll()
    {
        var scopes = new FailingScopes(() => new InvalidOperationException("counted: this test only counts passes"));
        using var launcher = new PendingRunLauncher(
            scopes, Options.Create(new CoordinatorOptions { LaunchPollSeconds = 3600 }), TimeProvider.System, NullLogger<PendingRunLauncher>.Instance, fixture.DataSource);
        await launcher.StartAsync(CancellationToken.None);
        try
        {
            // The first pass follows the listen being in place (requests made while nobody listened are waiting).
            Assert.True(await WaitForAsync(() => scopes.Calls >= 1, TimeSpan.FromSeconds(30)), "no pass after the listen began");
            int before = scopes.Calls;

            await using (SisomDbContext db = fixture.CreateDbContext())
            {
                await RunAnnouncements.AnnounceAsync(db, Guid.NewGuid(), CancellationToken.None);
            }

            Assert.True(await WaitForAsync(() => scopes.Calls > before, TimeSpan.FromSeconds(30)), "the announcement did not wake the launcher");
            Assert.False(launcher.ExecuteTask!.IsCompleted);
        }
        finally
        {
            await launcher.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return condition();
    }
}
