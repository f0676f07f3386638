using System.CommandLine;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// <c>--server</c> and <c>--api-key</c> of every command that talks to a cluster: each taken from the option, else the
/// environment (<c>SISOM_SERVER</c>, <c>SISOM_API_KEY</c>), else the config file that <c>sisom login</c> and the demo
/// write (<see cref="CliConfig"/>). The CLI reaches the cluster only through its REST API.
/// </summary>
internal sealed class ApiConnection
{
    public const string ServerVariable = "SISOM_SERVER";

    public const string KeyVariable = "SISOM_API_KEY";

    private ApiConnection(Option<string?> server, Option<string?> apiKey)
    {
        Server = server;
        ApiKey = apiKey;
    }

    public Option<string?> Server { get; }

    public Option<string?> ApiKey { get; }

    /// <summary>The two options, added to <paramref name="command"/>.</summary>
    public static ApiConnection AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var connection = new ApiConnection(
            new Option<string?>("--server")
            {
                Description = $"The SisomCluster API, e.g. http://127.0.0.1:5080 (the demo's; 8080 in the images); default: ${ServerVariable}, else the config file of sisom login.",
                HelpName = "URL",
            },
            new Option<string?>("--api-key")
            {
                Description = $"The API key; default: ${KeyVariable}, else the config file of sisom login.",
                HelpName = "KEY",
            });
        command.Options.Add(connection.Server);
        command.Options.Add(connection.ApiKey);
        return connection;
    }

    /// <summary>A client for the server and key this invocation names.</summary>
    public SisomApiClient Client(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        CliConfig? config = CliConfig.Load();
        string? server = parse.GetValue(Server) is { Length: > 0 } s ? s
            : Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : config?.Server;

        // The saved key belongs to the saved server: it is never sent to another one named by --server or SISOM_SERVER.
        string? key = parse.GetValue(ApiKey) is { Length: > 0 } k ? k
            : Environment.GetEnvironmentVariable(KeyVariable) is { Length: > 0 } keyFromEnvironment ? keyFromEnvironment
            : config is { Server: { } saved } && SameServer(saved, server) ? config.ApiKey
            : null;
        if (string.IsNullOrEmpty(server))
        {
            throw new UsageException($"no server: pass --server URL, set {ServerVariable}, or run sisom login --server URL --api-key KEY (./sisom demo does this for its cluster).");
        }

        return Create(server, key);
    }

    private static bool SameServer(string saved, string? server) =>
        server is not null && string.Equals(saved.TrimEnd('/'), server.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    public static SisomApiClient Create(string server, string? key)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--server: give an http:// or https:// URL, not '{server}'.");
        }

        return new SisomApiClient(uri, key);
    }
}
