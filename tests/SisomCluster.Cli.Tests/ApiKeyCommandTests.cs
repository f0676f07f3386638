using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary><c>sisom apikey create|list|revoke</c> through the API (admin scope).</summary>
public sealed class ApiKeyCommandTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private readonly DatabaseFixture _database = server.Database;

    [Fact]
    public async Task Create_prints_the_secret_once_stores_its_hash_and_revoke_ends_it()
    {
        CliResult create = server.Run(server.AdminKey, "apikey", "create", "--name", "ci", "--scopes", "read,write");
        Assert.True(create.ExitCode == 0, create.ToString());
        string secret = create.Stdout.Trim();
        Assert.StartsWith(ApiKeySecret.Scheme, secret, StringComparison.Ordinal);
        Assert.Contains("will not be shown again", create.Stderr, StringComparison.Ordinal);

        // Only the hash is stored: the secret's text appears in no column.
        Assert.Equal(0, await _database.CountAsync("SELECT count(*) FROM api_keys WHERE name = $1 OR prefix = $1", secret));
        Assert.Equal(1, await _database.CountAsync("SELECT count(*) FROM api_keys WHERE secret_hash = $1 AND scopes = ARRAY['read','write']", ApiKeySecret.Hash(secret)));
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Assert.NotNull(await new ApiKeyStore(db, TimeProvider.System).AuthenticateAsync(secret));
        }

        CliResult revoke = server.Run(server.AdminKey, "apikey", "revoke", ApiKeySecret.PrefixOf(secret));
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Contains("revoked API key", revoke.Stdout, StringComparison.Ordinal);
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Assert.Null(await new ApiKeyStore(db, TimeProvider.System).AuthenticateAsync(secret));
        }
    }

    [Theory]
    [InlineData("--scopes", "read,root", "scopes: unknown scope 'root'")]
    [InlineData("--scopes", "", "scopes: give at least one of read, write, admin")]
    [InlineData("--name", " ", "name: give 1 to 200 characters")]
    public void Create_refuses_bad_options_with_one_line_and_exit_2(string option, string value, string message)
    {
        string[] args = option == "--name"
            ? ["apikey", "create", "--name", value]
            : ["apikey", "create", "--name", "x", option, value];
        CliResult result = server.Run(server.AdminKey, args);
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.StderrLines);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_an_admin_key_manages_keys()
    {
        foreach (string key in new[] { server.ReadKey, server.WriteKey })
        {
            CliResult refused = server.Run(key, "apikey", "create", "--name", "escalate", "--scope", "admin");
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("HTTP 403", refused.Stderr, StringComparison.Ordinal);
        }

        CliResult anonymous = CliResult.Run("apikey", "list", "--server", server.Url, "--api-key", "sisom_00000000_not-a-key");
        Assert.Equal(2, anonymous.ExitCode);
        Assert.Contains("HTTP 401", anonymous.Stderr, StringComparison.Ordinal);

        CliResult list = server.Run(server.AdminKey, "apikey", "list", "--format", "tsv");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("\tcli-reader\tread\t", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(server.ReadKey, list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Revoking_an_unknown_key_is_a_usage_error()
    {
        CliResult result = server.Run(server.AdminKey, "apikey", "revoke", "sisom_00000000");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: sisom_00000000: no API key has this id or prefix.", Assert.Single(result.StderrLines));
    }

    [Fact]
    public void Help_shows_an_example()
    {
        CliResult help = CliResult.Run("apikey", "create", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("sisom apikey create --name dashboard --scope read", help.Stdout, StringComparison.Ordinal);
    }
}
