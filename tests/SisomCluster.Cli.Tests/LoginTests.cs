using System.Text.Json;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary><c>sisom login</c> and the config file: later commands find the server and key with nothing passed or exported.</summary>
[Collection(ConfigEnvironment.Name)]
public sealed class LoginTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ConfigEnvironment _environment = new();

    public void Dispose()
    {
        _environment.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void Without_a_server_the_error_says_how_to_name_one()
    {
        ConfigEnvironment.Isolate(_directory.File("absent.json"));
        CliResult result = CliResult.Run("run", "list");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no server: pass --server URL, set SISOM_SERVER, or run sisom login", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_server_is_one_line_and_exit_1()
    {
        ConfigEnvironment.Isolate(_directory.File("absent.json"));
        CliResult result = CliResult.Run("run", "list", "--server", "http://127.0.0.1:1", "--api-key", "sisom_00000000_x");
        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("cannot reach the SisomCluster API at http://127.0.0.1:1/", Assert.Single(result.StderrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Login_writes_a_private_config_that_later_commands_use()
    {
        string path = _directory.File("sisom/config.json");
        ConfigEnvironment.Isolate(path);

        CliResult wrongKey = CliResult.Run("login", "--server", server.Url, "--api-key", "sisom_00000000_nope");
        Assert.Equal(2, wrongKey.ExitCode);
        Assert.Contains("HTTP 401", wrongKey.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(path), "a key the server refused must not be saved");

        CliResult login = CliResult.Run("login", "--server", server.Url, "--api-key", server.ReadKey);
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Contains($"wrote {path}", login.Stdout, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsWindows() ? UnixFileMode.UserRead | UnixFileMode.UserWrite : File.GetUnixFileMode(path));
        using (JsonDocument config = JsonDocument.Parse(File.ReadAllText(path)))
        {
            Assert.Equal(server.Url.TrimEnd('/'), config.RootElement.GetProperty("server").GetString());
            Assert.Equal(server.ReadKey, config.RootElement.GetProperty("api_key").GetString());
        }

        // A new terminal: nothing passed, nothing exported.
        CliResult list = CliResult.Run("run", "list", "--format", "tsv");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.StartsWith("run\tpool\tstate", list.Stdout, StringComparison.Ordinal);

        // The saved key belongs to the saved server: naming another server (here the same one, spelt differently) sends no key.
        CliResult elsewhere = CliResult.Run("run", "list", "--server", server.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal));
        Assert.Equal(2, elsewhere.ExitCode);
        Assert.Contains("HTTP 401", elsewhere.Stderr, StringComparison.Ordinal);

        // The environment wins over the file, the option over both.
        Environment.SetEnvironmentVariable("SISOM_API_KEY", "sisom_00000000_nope");
        Assert.Contains("HTTP 401", CliResult.Run("run", "list").Stderr, StringComparison.Ordinal);
        Assert.Equal(0, CliResult.Run("run", "list", "--api-key", server.ReadKey).ExitCode);
    }
}
