using System.Xml.Linq;
using Xunit;

namespace SisomCluster.Lab.Tests;

/// <summary>The research harness stays out of the product: no project under src/ but the Lab itself reaches it, even transitively.</summary>
public sealed class ProductBoundaryTests
{
    [Fact]
    public void No_product_project_references_the_lab()
    {
        string src = Path.Combine(RepositoryRoot(), "src");
        string lab = Path.GetFullPath(Path.Combine(src, "SisomCluster.Lab", "SisomCluster.Lab.csproj"));
        string[] products = [.. Directory.GetFiles(src, "*.csproj", SearchOption.AllDirectories).Select(Path.GetFullPath).Where(p => p != lab)];
        Assert.Contains(products, p => p.EndsWith("SisomCluster.Cli.csproj", StringComparison.Ordinal));
        Assert.Contains(products, p => p.EndsWith("SisomCluster.Server.csproj", StringComparison.Ordinal));

        foreach (string product in products)
        {
            HashSet<string> closure = ProjectClosure(product);
            Assert.False(closure.Contains(lab), $"{Path.GetFileName(product)} references SisomCluster.Lab: the product must not ship the research harness");
        }
    }

    /// <summary>The project and every project it references, transitively, as full paths.</summary>
    internal static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.Count > 0)
        {
            string current = pending.Pop();
            if (!seen.Add(current))
            {
                continue;
            }

            string directory = Path.GetDirectoryName(current)!;
            foreach (XElement reference in XDocument.Load(current).Descendants("ProjectReference"))
            {
                pending.Push(Path.GetFullPath(Path.Combine(directory, reference.Attribute("Include")!.Value.Replace('\\', '/'))));
            }
        }

        return seen;
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SisomCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("SisomCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
