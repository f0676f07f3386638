using Xunit;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// A measurement that runs only when <c>SISOM_MEASURE=1</c> (too slow for <c>./test.sh</c> on a shared machine); its
/// numbers go to the test output (<c>--logger "console;verbosity=detailed"</c>) and it still asserts what it measured.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class MeasuredFactAttribute : FactAttribute
{
    public MeasuredFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("SISOM_MEASURE") != "1")
        {
            Skip = "a measurement: set SISOM_MEASURE=1 to run it";
        }
    }
}
