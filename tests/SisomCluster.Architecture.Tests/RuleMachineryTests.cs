using SisomCluster.Data;
using SisomCluster.Server.Hosting;
using Xunit;

namespace SisomCluster.Architecture.Tests;

/// <summary>
/// The checks can see a dependency at all: rules that never match anything pass whatever the code does (a trailing dot
/// in a NetArchTest dependency name, for one, matches nothing). These dependencies exist on purpose.
/// </summary>
public sealed class RuleMachineryTests
{
    [Theory]
    [InlineData("SisomCluster.Server.Coordinator")]
    [InlineData("SisomCluster.Server.Worker")]
    [InlineData("SisomCluster.Server.Aggregator")]
    [InlineData("SisomCluster.Server.Api")]
    [InlineData("SisomCluster.Server.Dashboard")]
    public void The_host_is_seen_to_use_every_role(string role) =>
        Assert.Contains(
            $"{typeof(ServerHostExtensions).FullName} → {role}",
            Dependencies.Violations(typeof(ServerRoles).Assembly, Dependencies.Under("SisomCluster.Server.Hosting"), [role]));

    [Fact]
    public void Data_is_seen_to_use_Npgsql_and_EF_Core()
    {
        IReadOnlyList<string> seen = Dependencies.Violations(typeof(SisomDbContext).Assembly, null, ["Npgsql", "Microsoft.EntityFrameworkCore"]);
        Assert.Contains(seen, l => l.EndsWith("→ Npgsql", StringComparison.Ordinal));
        Assert.Contains(seen, l => l.EndsWith("→ Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
        Assert.Contains("Npgsql", Dependencies.ReferencedAssemblies(typeof(SisomDbContext).Assembly, ["Npgsql"]));
        Assert.Contains("SisomCluster.Data.csproj → Npgsql", SourceTree.ReferencesTo("SisomCluster.Data", ["Npgsql"]));
    }
}
