using SisomCluster.Deploy.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Deploy.Tests.Kubernetes;

/// <summary>Every option of the server is documented where operators look: README "Deploying" and the chart's values.yaml.</summary>
public sealed class ConfigurationDocsTests
{
    [Fact]
    public void The_readme_configuration_table_lists_every_setting()
    {
        string readme = File.ReadAllText(RepositoryPaths.Of("README.md"));
        int start = readme.IndexOf("## Deploying", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no \"## Deploying\" section");
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        string section = end < 0 ? readme[start..] : readme[start..end];
        string[] missing = [.. ServerSettings.Options.Concat(ServerSettings.ConnectionStrings).Where(o => !section.Contains($"| `{o}` |", StringComparison.Ordinal))];
        Assert.True(missing.Length == 0, "README \"Deploying\" does not document: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_chart_values_document_every_option()
    {
        string values = File.ReadAllText(RepositoryPaths.Of("helm", "sisom-cluster", "values.yaml"));
        string[] missing = [.. ServerSettings.Options.Concat(ServerSettings.ConnectionStrings).Except(ServerSettings.Defaulted).Where(o => !values.Contains(o, StringComparison.Ordinal))];
        Assert.True(missing.Length == 0, "values.yaml does not document: " + string.Join(", ", missing));
    }
}
