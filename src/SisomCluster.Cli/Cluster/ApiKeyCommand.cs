using System.CommandLine;
using System.Globalization;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// <c>sisom apikey create|list|revoke</c>: keys of the REST API, managed through the API with an admin key. The first
/// admin key comes from the server side: <c>sisom-server apikey create --scope admin</c> (or the Api__BootstrapKey).
/// </summary>
internal static class ApiKeyCommand
{
    /// <summary>"sisom_" and 8 hex digits: the part of a secret stored in clear as its prefix.</summary>
    private const int PrefixLength = 14;

    public static Command Create() =>
        new("apikey", "API keys of the REST API (needs an admin key): the secret is shown once; only its SHA-256 is stored. "
            + "The first admin key: sisom-server apikey create --name ops --scope admin, where the database is reachable." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom apikey create --name ci --scope read,write")
        {
            CreateCreate(),
            CreateList(),
            CreateRevoke(),
        };

    private static Command CreateCreate()
    {
        var name = new Option<string>("--name") { Description = "Who or what holds the key (shown in listings).", Required = true };
        var scopes = new Option<string>("--scope", "--scopes")
        {
            Description = "Comma-separated: read (GET), write (runs, labels, similarity index; includes read), admin (keys; includes all).",
            DefaultValueFactory = _ => "read",
            HelpName = "read,write,admin",
        };
        var command = new Command(
            "create",
            "Create an API key and print its secret once (send it as 'Authorization: Bearer <secret>')." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom apikey create --name dashboard --scope read" + Environment.NewLine
            + "  curl -H \"Authorization: Bearer $KEY\" http://127.0.0.1:5080/api/v1/runs")
        {
            name, scopes,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string[] parsed = parse.GetValue(scopes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            using SisomApiClient client = connection.Client(parse);
            CreatedApiKeyResponse created = await client.CreateApiKeyAsync(new CreateApiKeyRequest(parse.GetRequiredValue(name), parsed), cancellationToken).ConfigureAwait(false);
            parse.InvocationConfiguration.Output.WriteLine(created.Secret);
            parse.InvocationConfiguration.Error.WriteLine(
                $"created API key {created.Key.Id} ({created.Key.Prefix}, scopes {string.Join(",", created.Key.Scopes)}); the secret above is not stored and will not be shown again");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateList()
    {
        Option<string> format = TableFormatOption.Create();
        var command = new Command(
            "list",
            "List the API keys: prefix, name, scopes, when created, last used and revoked (never a secret)." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom apikey list")
        {
            format,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using SisomApiClient client = connection.Client(parse);
            TextWriter output = parse.InvocationConfiguration.Output;
            bool aligned = TableFormatOption.Aligned(parse, format, output);
            var table = new TextTable(new TableColumn("prefix"), new TableColumn("name"), new TableColumn("scopes"), new TableColumn("created"), new TableColumn("last used"), new TableColumn("revoked"));
            string Time(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString(aligned ? "yyyy-MM-dd HH:mm" : "O", CultureInfo.InvariantCulture) : "";
            foreach (ApiKeyResponse k in await client.ListApiKeysAsync(cancellationToken).ConfigureAwait(false))
            {
                table.AddRow(k.Prefix, k.Name, string.Join(",", k.Scopes), Time(k.CreatedAt), Time(k.LastUsedAt), Time(k.RevokedAt));
            }

            table.Write(output, aligned);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateRevoke()
    {
        var key = new Argument<string>("ID-OR-PREFIX") { Description = "The key's id, or its prefix (sisom_1a2b3c4d; the whole secret works too)." };
        var command = new Command(
            "revoke",
            "Revoke an API key: requests with it are answered 401 from now on." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom apikey revoke sisom_1a2b3c4d")
        {
            key,
        };
        ApiConnection connection = ApiConnection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            // A whole secret is cut to its prefix here: a secret never travels in a URL (request logs, proxies, traces).
            string which = parse.GetRequiredValue(key);
            if (which.StartsWith("sisom_", StringComparison.Ordinal) && which.Length > PrefixLength)
            {
                which = which[..PrefixLength];
            }

            using SisomApiClient client = connection.Client(parse);
            ApiKeyResponse revoked;
            try
            {
                revoked = await client.RevokeApiKeyAsync(which, cancellationToken).ConfigureAwait(false);
            }
            catch (SisomApiException e) when (e.Status == 404)
            {
                throw new UsageException($"{which}: no API key has this id or prefix.");
            }

            parse.InvocationConfiguration.Output.WriteLine($"revoked API key {revoked.Id} ({revoked.Prefix}, {revoked.Name}) at {revoked.RevokedAt:O}");
            return ExitCodes.Success;
        });
        return command;
    }
}
