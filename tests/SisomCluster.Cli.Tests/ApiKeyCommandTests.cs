using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary><c>sisom apikey create|revoke</c> against the real PostgreSQL (a schema of their own).</summary>
public sealed class ApiKeyCommandTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Create_prints_the_secret_once_stores_its_hash_and_revoke_ends_it()
    {
        CliResult create = CliResult.Run("apikey", "create", "--name", "ci", "--scopes", "read,write", "--connection", database.ConnectionString);
        Assert.True(create.ExitCode == 0, create.ToString());
        string secret = create.Stdout.Trim();
        Assert.StartsWith(ApiKeySecret.Scheme, secret, StringComparison.Ordinal);
        Assert.Contains("will not be shown again", create.Stderr, StringComparison.Ordinal);

        // Only the hash is stored: the secret's text appears in no column.
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM api_keys WHERE name = $1 OR prefix = $1", secret));
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM api_keys WHERE secret_hash = $1 AND scopes = ARRAY['read','write']", ApiKeySecret.Hash(secret)));
        await using (SisomDbContext db = database.CreateDbContext())
        {
            Assert.NotNull(await new ApiKeyStore(db, TimeProvider.System).AuthenticateAsync(secret));
        }

        CliResult revoke = CliResult.Run("apikey", "revoke", ApiKeySecret.PrefixOf(secret), "--connection", database.ConnectionString);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Contains("revoked API key", revoke.Stdout, StringComparison.Ordinal);
        await using (SisomDbContext db = database.CreateDbContext())
        {
            Assert.Null(await new ApiKeyStore(db, TimeProvider.System).AuthenticateAsync(secret));
        }
    }

    [Theory]
    [InlineData("--scopes", "read,root", "--scopes: unknown scope 'root'")]
    [InlineData("--scopes", "", "--scopes: give at least one of read, write, admin")]
    [InlineData("--name", " ", "--name: give 1 to 200 characters")]
    public void Create_refuses_bad_options_with_one_line_and_exit_2(string option, string value, string message)
    {
        string[] args = option == "--name"
            ? ["apikey", "create", "--name", value, "--connection", database.ConnectionString]
            : ["apikey", "create", "--name", "x", option, value, "--connection", database.ConnectionString];
        CliResult result = CliResult.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.StderrLines);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Revoking_an_unknown_key_is_a_usage_error()
    {
        CliResult result = CliResult.Run("apikey", "revoke", "sisom_00000000", "--connection", database.ConnectionString);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: sisom_00000000: no API key has this id or prefix.", Assert.Single(result.StderrLines));
    }

    [Fact]
    public void Help_shows_an_example()
    {
        CliResult help = CliResult.Run("apikey", "create", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("sisom apikey create --name dashboard --scopes read", help.Stdout, StringComparison.Ordinal);
    }
}
