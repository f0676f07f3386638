using System.CommandLine;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom login</c>: checks a server and key, then keeps them in the config file for later commands.</summary>
internal static class LoginCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "The SisomCluster API, e.g. http://127.0.0.1:5080.", Required = true, HelpName = "URL" };
        var key = new Option<string?>("--api-key") { Description = $"The API key; default: ${ApiConnection.KeyVariable}; '-' reads it from standard input.", HelpName = "KEY" };
        var command = new Command(
            "login",
            "Check that the server answers to the key, then write both to the config file (~/.config/sisom/config.json, mode 0600; "
            + $"${CliConfig.PathVariable} names another) so that later commands need neither --server nor --api-key." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom login --server http://127.0.0.1:5080 --api-key sisom_1a2b3c4d...")
        {
            server, key,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string? secret = parse.GetValue(key) switch
            {
                "-" => (await Console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false))?.Trim(),
                { Length: > 0 } given => given,
                _ => Environment.GetEnvironmentVariable(ApiConnection.KeyVariable),
            };
            if (string.IsNullOrEmpty(secret))
            {
                throw new UsageException($"--api-key: give the key (or set {ApiConnection.KeyVariable}); an operator mints one with sisom-server apikey create.");
            }

            string url = parse.GetRequiredValue(server);
            using SisomApiClient client = ApiConnection.Create(url, secret);
            Page<RunResponse> runs = await client.ListRunsAsync(pageSize: 1, cancellationToken: cancellationToken).ConfigureAwait(false);
            string path = CliConfig.DefaultPath();
            new CliConfig(client.Server.AbsoluteUri.TrimEnd('/'), secret).Save(path);
            parse.InvocationConfiguration.Output.WriteLine($"logged in to {client.Server.AbsoluteUri.TrimEnd('/')} ({(runs.Items.Count == 0 ? "no runs yet" : "newest run " + runs.Items[0].Id)}); wrote {path}");
            return ExitCodes.Success;
        });
        return command;
    }
}
