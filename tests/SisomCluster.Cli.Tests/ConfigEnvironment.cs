using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// Tests that point the CLI's config file (SISOM_CONFIG) and SISOM_SERVER / SISOM_API_KEY somewhere of their own: process-wide
/// settings (and SISOM_PG_PORT in ServicesCommandTests), so these tests run one at a time and restore what they changed.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConfigEnvironment : IDisposable
{
    public const string Name = "CLI config environment";

    private static readonly string[] Variables = ["SISOM_CONFIG", "SISOM_SERVER", "SISOM_API_KEY"];

    private readonly Dictionary<string, string?> _saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);

    public void Dispose()
    {
        foreach ((string name, string? value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    /// <summary>Points SISOM_CONFIG at <paramref name="path"/> and clears the server and key variables.</summary>
    public static void Isolate(string path)
    {
        Environment.SetEnvironmentVariable("SISOM_CONFIG", path);
        Environment.SetEnvironmentVariable("SISOM_SERVER", null);
        Environment.SetEnvironmentVariable("SISOM_API_KEY", null);
    }
}
