using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// up/down find the checkout's deploy/local/services.sh and report its failures. The services themselves are shared
/// and never started or stopped here: the failing case is the real script refusing a bad port before it does anything.
/// That case sets SISOM_PG_PORT for the whole process, so these tests run alone (no other test starts a process meanwhile).
/// </summary>
[Collection(ConfigEnvironment.Name)]
public sealed class ServicesCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static string Checkout =>
        Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Cluster.ServicesCommand.LocateScript(AppContext.BaseDirectory, walkUp: true)!)!)!)!;

    [Fact]
    public void The_script_is_found_from_anywhere_inside_a_checkout_and_nowhere_else()
    {
        string? script = Cluster.ServicesCommand.LocateScript(AppContext.BaseDirectory, walkUp: true);
        Assert.NotNull(script);
        Assert.True(File.Exists(script));
        Assert.True(File.Exists(Path.Combine(Checkout, "SisomCluster.sln")));
        Assert.Null(Cluster.ServicesCommand.LocateScript(_directory.Path, walkUp: true));

        // A directory that merely has a services.sh is not a checkout.
        Directory.CreateDirectory(_directory.File("deploy/local"));
        File.WriteAllText(_directory.File("deploy/local/services.sh"), "exit 0\n");
        Assert.Null(Cluster.ServicesCommand.LocateScript(_directory.Path, walkUp: false));
    }

    [Theory]
    [InlineData("up")]
    [InlineData("down")]
    public void Outside_a_checkout_is_a_one_line_usage_error(string verb)
    {
        CliResult result = CliResult.Run(verb, "--checkout", _directory.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal([$"error: {_directory.Path} is not a SisomCluster checkout: it has no deploy/local/services.sh."], result.StderrLines);
    }

    [Fact]
    public void A_failing_script_has_its_messages_streamed_and_exits_1()
    {
        // services.sh validates its port settings before any command: a bad one stops it with nothing started or stopped.
        string? saved = Environment.GetEnvironmentVariable("SISOM_PG_PORT");
        Environment.SetEnvironmentVariable("SISOM_PG_PORT", "not-a-port");
        try
        {
            CliResult result = CliResult.Run("down", "--checkout", Checkout);
            Assert.Equal(1, result.ExitCode);
            Assert.Equal(
                ["[services] ERROR: SISOM_PG_PORT must be a TCP port number, got 'not-a-port'", "error: deploy/local/services.sh down failed with exit code 1; its messages are above."],
                result.StderrLines);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SISOM_PG_PORT", saved);
        }
    }
}
