using SisomCluster.Server.Worker;
using Xunit;

namespace SisomCluster.Server.Tests.Worker;

/// <summary>The worker's start-up warm-up (its registration: RoleRegistrationTests).</summary>
public sealed class ScoringWarmUpTests
{
    [Fact]
    public void The_warm_up_scores_its_synthetic_batch()
    {
        double seconds = ScoringWarmUp.Run();
        Assert.True(seconds > 0 && seconds < 60, $"{seconds} s");
    }
}
