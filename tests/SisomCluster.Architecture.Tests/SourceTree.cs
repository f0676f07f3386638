using System.Xml.Linq;

namespace SisomCluster.Architecture.Tests;

/// <summary>The checkout the tests run from (found by walking up to SisomCluster.sln) and its project files.</summary>
internal static class SourceTree
{
    public static string Root => RootPath.Value;

    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SisomCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("SisomCluster.sln not found above " + AppContext.BaseDirectory);
    });

    /// <summary>
    /// What <c>src/<paramref name="project"/>/<paramref name="project"/>.csproj</c> references: project references as
    /// the project's file name without extension, package references as the package id. An unused reference never
    /// reaches the IL, so the project file is checked as well as the assembly.
    /// </summary>
    public static IReadOnlyList<string> References(string project)
    {
        XDocument csproj = XDocument.Load(Path.Combine(RootPath.Value, "src", project, project + ".csproj"));
        return [.. csproj.Descendants()
            .Where(e => e.Name.LocalName is "ProjectReference" or "PackageReference")
            .Select(e => (string?)e.Attribute("Include") ?? "")
            .Select(include => include.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) ? Path.GetFileNameWithoutExtension(include.Replace('\\', '/')) : include)];
    }

    /// <summary>The references of <paramref name="project"/> that are, or start with, one of <paramref name="prefixes"/>.</summary>
    public static IReadOnlyList<string> ReferencesTo(string project, IEnumerable<string> prefixes)
    {
        string[] wanted = [.. prefixes];
        return [.. References(project)
            .Where(r => wanted.Any(p => r.Equals(p, StringComparison.OrdinalIgnoreCase) || r.StartsWith(p + ".", StringComparison.OrdinalIgnoreCase)))
            .Select(r => $"{project}.csproj → {r}")];
    }
}
