using System.Reflection;
using SisomCluster.Contracts;
using SisomCluster.Core.Scoring;
using SisomCluster.Data;
using Xunit;

namespace SisomCluster.Architecture.Tests;

/// <summary>
/// What each project may reference (ARCHITECTURE.md §2), checked three ways: the types used in the IL, the
/// assemblies the IL references, and the project file (an unused reference reaches neither).
/// </summary>
public sealed class ProjectReferenceTests
{
    private static readonly string[] OtherProjects = ["SisomCluster.Contracts", "SisomCluster.Data", "SisomCluster.Inference", "SisomCluster.Server", "SisomCluster.Cli"];

    private static readonly string[] Infrastructure = ["Npgsql", "Microsoft.EntityFrameworkCore", "MassTransit", "Microsoft.ML.OnnxRuntime"];

    private static readonly string[] Database = ["SisomCluster.Data", "Npgsql", "Microsoft.EntityFrameworkCore"];

    [Fact]
    public void Core_references_no_other_project_and_no_infrastructure()
    {
        Assembly core = typeof(ScoringContext).Assembly;
        IReadOnlyList<string> violations =
        [
            .. Dependencies.Violations(core, null, [.. OtherProjects, .. Infrastructure]),
            .. Dependencies.ReferencedAssemblies(core, ["SisomCluster", "sisom", "sisom-server", .. Infrastructure]).Where(a => a != "SisomCluster.Core").Select(a => "assembly reference → " + a),
            .. SourceTree.References("SisomCluster.Core").Where(r => r.StartsWith("SisomCluster.", StringComparison.Ordinal)).Select(r => "SisomCluster.Core.csproj → " + r),
            .. SourceTree.ReferencesTo("SisomCluster.Core", Infrastructure),
        ];
        Dependencies.AssertNone("SisomCluster.Core must stay pure math (no other project, no Npgsql, EF Core, MassTransit or ONNX Runtime)", violations);
    }

    [Theory]
    [InlineData("SisomCluster.Contracts")]
    [InlineData("SisomCluster.Core")]
    [InlineData("SisomCluster.Data")]
    public void Only_the_host_uses_MassTransit(string project)
    {
        Assembly assembly = project switch
        {
            "SisomCluster.Contracts" => typeof(ScoreShard).Assembly,
            "SisomCluster.Core" => typeof(ScoringContext).Assembly,
            _ => typeof(SisomDbContext).Assembly,
        };
        IReadOnlyList<string> violations =
        [
            .. Dependencies.Violations(assembly, null, ["MassTransit"]),
            .. Dependencies.ReferencedAssemblies(assembly, ["MassTransit"]).Select(a => "assembly reference → " + a),
            .. SourceTree.ReferencesTo(project, ["MassTransit"]),
        ];
        Dependencies.AssertNone($"{project} uses MassTransit (keep the bus in the host, so a change of bus touches only the Server)", violations);
    }

    [Fact]
    public void The_CLI_talks_to_the_API_not_to_the_database()
    {
        Assembly cli = Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, "sisom.dll"));
        IReadOnlyList<string> violations =
        [
            .. Dependencies.Violations(cli, null, Database),
            .. Dependencies.ReferencedAssemblies(cli, Database).Select(a => "assembly reference → " + a),
            .. SourceTree.ReferencesTo("SisomCluster.Cli", Database),
        ];
        Dependencies.AssertNone("The CLI (sisom) uses the database; it must go through the HTTP API", violations);
    }

    [Fact]
    public void The_CLI_ships_no_database_driver()
    {
        // What a user installs: the CLI's own build output, not this test project's (which holds the server's too).
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        string deps = Path.Combine(SourceTree.Root, "src", "SisomCluster.Cli", "bin", configuration, "net10.0", "sisom.deps.json");
        Assert.True(File.Exists(deps), $"{deps} is missing: build the CLI first");
        string[] shipped = [.. System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(deps), "\"([A-Za-z0-9_.]+)/[0-9]").Select(m => m.Groups[1].Value).Distinct()];
        Assert.DoesNotContain(shipped, name => Database.Any(d => name.StartsWith(d, StringComparison.Ordinal)));
        Assert.Contains("SisomCluster.Contracts", shipped);
    }
}
