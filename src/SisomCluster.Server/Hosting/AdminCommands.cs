using SisomCluster.Data;
using SisomCluster.Data.Access;

namespace SisomCluster.Server.Hosting;

/// <summary>
/// <c>sisom-server migrate</c> and <c>sisom-server apikey create|revoke</c>: the administration that needs the database
/// itself, run by an operator (or the Helm migration Job) where PostgreSQL is reachable. Users and the <c>sisom</c> CLI go
/// through the API; only the server touches the database.
/// </summary>
public static class AdminCommands
{
    public const string Usage = """
        sisom-server: SisomCluster's server (every role) and its database administration.

        Usage:
          sisom-server [--roles coordinator,worker,aggregator,api|all]   serve (default: all roles)
          sisom-server migrate                                            create or upgrade the schema
          sisom-server apikey create --name NAME --scope read|write|admin  mint an API key; prints its secret once
          sisom-server apikey revoke ID-OR-PREFIX                         revoke a key

        The database comes from ConnectionStrings__Sisom (or --ConnectionStrings:Sisom=...).

        Example:
          export $(deploy/local/services.sh env) && sisom-server migrate && sisom-server apikey create --name ops --scope admin
        """;

    /// <summary>Whether <paramref name="args"/> name an administration command rather than serving.</summary>
    public static bool Handles(string[] args) =>
        Words(args) is [var first, ..] && first is "migrate" or "apikey" or "help" or "--help" or "-h";

    /// <summary>The command words: settings given as <c>--Key=value</c> (configuration, e.g. the connection string) are skipped wherever they stand.</summary>
    private static string[] Words(string[] args) =>
        [.. args.Where(a => !(a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)))];

    /// <returns>The exit code: 0 done, 2 usage or input error, 1 failure.</returns>
    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string[] words = Words(args);
        try
        {
            switch (words)
            {
                case ["help" or "--help" or "-h", ..]:
                    output.WriteLine(Usage);
                    return 0;
                case ["migrate"]:
                    IReadOnlyList<string> applied = await MigrationRunner.MigrateAsync(Connection(configuration), cancellationToken).ConfigureAwait(false);
                    output.WriteLine(applied.Count == 0 ? "the schema is up to date" : $"applied {applied.Count} migration(s): {string.Join(", ", applied)}");
                    return 0;
                case ["apikey", "create", .. var rest]:
                    return await CreateKeyAsync(rest, configuration, output, error, cancellationToken).ConfigureAwait(false);
                case ["apikey", "revoke", var which]:
                    await using (var dataSource = SisomDataSource.Create(Connection(configuration)))
                    await using (var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource)))
                    {
                        ApiKey revoked = await new ApiKeyStore(db, TimeProvider.System).RevokeAsync(which, cancellationToken).ConfigureAwait(false)
                            ?? throw new ArgumentException($"{which}: no API key has this id or prefix.");
                        output.WriteLine($"revoked API key {revoked.Id} ({revoked.Prefix}, {revoked.Name}) at {revoked.RevokedAt:O}");
                        return 0;
                    }

                default:
                    error.WriteLine($"error: unknown command '{string.Join(' ', words)}'.");
                    error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (ArgumentException e)
        {
            string message = e.ParamName is { } p && e.Message.EndsWith($" (Parameter '{p}')", StringComparison.Ordinal) ? e.Message[..^$" (Parameter '{p}')".Length] : e.Message;
            error.WriteLine($"error: {message}");
            return 2;
        }
        catch (Npgsql.NpgsqlException e)
        {
            error.WriteLine($"error: the database: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> CreateKeyAsync(string[] options, IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        string? name = null;
        var scopes = new List<string>();
        for (int i = 0; i < options.Length; i++)
        {
            string value = i + 1 < options.Length ? options[i + 1] : throw new ArgumentException($"{options[i]}: give a value.");
            switch (options[i])
            {
                case "--name":
                    name = value;
                    break;
                case "--scope" or "--scopes":
                    scopes.AddRange(ApiScopes.Parse(value));
                    break;
                default:
                    throw new ArgumentException($"apikey create: unknown option '{options[i]}'; use --name NAME --scope read|write|admin.");
            }

            i++;
        }

        if (string.IsNullOrWhiteSpace(name) || name.Length > ApiKeyStore.MaxNameLength)
        {
            throw new ArgumentException($"--name: give 1 to {ApiKeyStore.MaxNameLength} characters.");
        }

        if (scopes.Count == 0)
        {
            throw new ArgumentException($"--scope: give one of {string.Join(", ", ApiScopes.All)}.");
        }

        await using var dataSource = SisomDataSource.Create(Connection(configuration));
        await using var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource));
        CreatedApiKey created = await new ApiKeyStore(db, TimeProvider.System).CreateAsync(name, [.. scopes.Distinct()], cancellationToken).ConfigureAwait(false);
        output.WriteLine(created.Secret);
        error.WriteLine($"created API key {created.Key.Id} ({created.Key.Prefix}, scopes {string.Join(",", created.Key.Scopes)}); the secret above is not stored and will not be shown again");
        return 0;
    }

    private static string Connection(IConfiguration configuration) =>
        configuration.GetConnectionString("Sisom") is { Length: > 0 } connection
            ? connection
            : throw new ArgumentException("ConnectionStrings__Sisom is not set (export $(deploy/local/services.sh env)).");
}
