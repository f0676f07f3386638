namespace SisomCluster.Deploy.Tests.Infrastructure;

/// <summary>Paths in the checkout the tests run from (found by walking up to SisomCluster.sln).</summary>
public static class RepositoryPaths
{
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

    public static string Root => RootPath.Value;

    public static string Lint => Path.Combine(Root, "deploy", "lint");

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);
}
