using System.Text.Json;
using SisomCluster.Deploy.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Deploy.Tests.Docker;

/// <summary>dockerfilelint (npm) over both images: no Docker engine runs here, so the Dockerfiles are linted, not built.</summary>
public sealed class DockerfileLintTests
{
    [Theory]
    [InlineData("docker/Dockerfile")]
    [InlineData("docker/Dockerfile.gpu")]
    public void Dockerfile_has_no_lint_issues(string file)
    {
        ToolResult result = DeployTools.DockerfileLint(RepositoryPaths.Of(file));
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal(0, IssueCount(result.Output));
    }

    [Fact]
    public void The_linter_reports_a_bad_dockerfile()
    {
        // Proves the lint run above can fail: no tag on the base image, apt-get without -y, an invalid port.
        string file = Path.Combine(Path.GetTempPath(), "sisom-bad-" + Guid.NewGuid().ToString("N") + ".Dockerfile");
        File.WriteAllText(file, "FROM ubuntu\nRUN apt-get update && apt-get install curl\nEXPOSE 80000\n");
        try
        {
            ToolResult result = DeployTools.DockerfileLint(file);
            Assert.NotEqual(0, result.ExitCode);
            Assert.True(IssueCount(result.Output) >= 2, result.Describe());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static int IssueCount(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("files").EnumerateArray().Sum(f => f.GetProperty("issues_count").GetInt32());
    }
}
