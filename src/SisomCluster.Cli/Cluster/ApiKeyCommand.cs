using System.CommandLine;
using SisomCluster.Data;
using SisomCluster.Data.Access;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom apikey create|revoke</c>: keys of the REST API, written straight to the database (no API key needed).</summary>
internal static class ApiKeyCommand
{
    public static Command Create() =>
        new("apikey", "API keys of the REST API (the api role): the secret is shown once; only its SHA-256 is stored." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom apikey create --name ci --scopes read,write")
        {
            CreateCreate(),
            CreateRevoke(),
        };

    private static Command CreateCreate()
    {
        Option<string?> connection = DatabaseOption.Create();
        var name = new Option<string>("--name") { Description = "Who or what holds the key (shown in listings).", Required = true };
        var scopes = new Option<string>("--scopes")
        {
            Description = "Comma-separated: read (GET), write (runs, labels, similarity index; includes read), admin (keys; includes all).",
            DefaultValueFactory = _ => ApiScopes.Read,
            HelpName = "read,write,admin",
        };
        var command = new Command(
            "create",
            "Create an API key and print its secret once (send it as 'Authorization: Bearer <secret>')." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom apikey create --name dashboard --scopes read" + Environment.NewLine
            + "  curl -H \"Authorization: Bearer $KEY\" http://localhost:8080/api/v1/runs")
        {
            name, scopes, connection,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string[] parsed;
            try
            {
                parsed = ApiScopes.Parse(parse.GetValue(scopes));
            }
            catch (ArgumentException e)
            {
                throw new UsageException("--" + e.Message.Split(" (Parameter", 2)[0]);
            }

            string keyName = parse.GetRequiredValue(name);
            if (string.IsNullOrWhiteSpace(keyName) || keyName.Length > ApiKeyStore.MaxNameLength)
            {
                throw new UsageException($"--name: give 1 to {ApiKeyStore.MaxNameLength} characters.");
            }

            await using var dataSource = SisomDataSource.Create(DatabaseOption.Resolve(parse, connection));
            await using var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource));
            CreatedApiKey created = await new ApiKeyStore(db, TimeProvider.System).CreateAsync(keyName, parsed, cancellationToken).ConfigureAwait(false);
            TextWriter output = parse.InvocationConfiguration.Output;
            output.WriteLine(created.Secret);
            parse.InvocationConfiguration.Error.WriteLine(
                $"created API key {created.Key.Id} ({created.Key.Prefix}, scopes {string.Join(",", created.Key.Scopes)}); the secret above is not stored and will not be shown again");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateRevoke()
    {
        Option<string?> connection = DatabaseOption.Create();
        var key = new Argument<string>("ID-OR-PREFIX") { Description = "The key's id, or its prefix (sisom_1a2b3c4d; the whole secret works too)." };
        var command = new Command(
            "revoke",
            "Revoke an API key: requests with it are answered 401 from now on." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom apikey revoke sisom_1a2b3c4d")
        {
            key, connection,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string which = parse.GetRequiredValue(key);
            await using var dataSource = SisomDataSource.Create(DatabaseOption.Resolve(parse, connection));
            await using var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource));
            ApiKey revoked = await new ApiKeyStore(db, TimeProvider.System).RevokeAsync(which, cancellationToken).ConfigureAwait(false)
                ?? throw new UsageException($"{which}: no API key has this id or prefix.");
            parse.InvocationConfiguration.Output.WriteLine($"revoked API key {revoked.Id} ({revoked.Prefix}, {revoked.Name}) at {revoked.RevokedAt:O}");
            return ExitCodes.Success;
        });
        return command;
    }
}
