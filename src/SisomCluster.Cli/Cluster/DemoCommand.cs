using System.CommandLine;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom demo</c>: the whole system on Fashion-MNIST in one command (see <see cref="DemoRunner"/>).</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var inDistribution = new Option<int>("--in-distribution") { Description = "Fashion-MNIST images of classes 0-5 (in-distribution).", DefaultValueFactory = _ => 1400 };
        var near = new Option<int>("--near-ood") { Description = "Images of classes 6-9 (near-OOD).", DefaultValueFactory = _ => 600 };
        var far = new Option<int>("--far-ood") { Description = "Noise and blank images (far-OOD).", DefaultValueFactory = _ => 100 };
        var labeled = new Option<int>("--labeled") { Description = "In-distribution images given labels (the reference set).", DefaultValueFactory = _ => 300 };
        var tars = new Option<int>("--tars") { Description = "Tar shards the pool is written as.", DefaultValueFactory = _ => 8 };
        var workers = new Option<int>("--workers") { Description = "Worker processes.", DefaultValueFactory = _ => 2 };
        var budget = new Option<int>("--budget") { Description = "Items to select for labeling.", DefaultValueFactory = _ => 100 };
        var port = new Option<int>("--port") { Description = "Port of the api role (dashboard and REST API) on 127.0.0.1.", DefaultValueFactory = _ => 5080 };
        var exit = new Option<bool>("--exit") { Description = "Stop the servers after the summary instead of serving the dashboard until Ctrl+C." };
        var noServices = new Option<bool>("--no-services") { Description = "Do not run deploy/local/services.sh up; use ConnectionStrings__Sisom and ConnectionStrings__RabbitMq as set." };
        var work = new Option<string?>("--work-dir") { Description = "Where the pool and the server logs go; default: .local/demo in the checkout (or a temporary folder).", HelpName = "DIR" };
        var server = new Option<string?>("--server-dll") { Description = "sisom-server.dll; default: the one built beside this CLI.", HelpName = "PATH" };
        var cache = Offline.ModelOptions.Cache();
        var connection = new Option<string?>("--connection") { Description = "PostgreSQL connection string for the servers the demo starts; default: from services.sh, else ConnectionStrings__Sisom.", HelpName = "CONNECTION" };
        var noLogin = new Option<bool>("--no-login") { Description = "Do not write the demo's server and API key to the sisom config file." };
        var rabbit = new Option<string?>("--rabbitmq") { Description = "RabbitMQ URI; default: from services.sh, else ConnectionStrings__RabbitMq.", HelpName = "URI" };
        var command = new Command(
            "demo",
            "The whole system on Fashion-MNIST: starts the local services if missing, migrates (sisom-server migrate), writes a pool of tar shards (classes 0-5 in-distribution with a labeled subset, 6-9 near-OOD, noise/blank far-OOD), "
            + "runs coordinator + aggregator + api and N workers, imports the labels, scores the pool, and prints the selection summary, the OOD AUROC against the ground truth and the dashboard URL. "
            + "Everything after the migration goes through the REST API; the server and a write key are saved to the config file (~/.config/sisom/config.json), so sisom run list works in another terminal." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  ./sisom demo" + Environment.NewLine
            + "  ./sisom demo --in-distribution 300 --near-ood 100 --far-ood 20 --labeled 100 --workers 1 --exit")
        {
            inDistribution, near, far, labeled, tars, workers, budget, port, exit, noServices, noLogin, work, server, cache, connection, rabbit,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new DemoOptions
            {
                Pool = new Inference.Datasets.FashionMnistPoolSpec
                {
                    InDistribution = NonNegative(parse.GetValue(inDistribution), "--in-distribution"),
                    NearOod = NonNegative(parse.GetValue(near), "--near-ood"),
                    FarOod = NonNegative(parse.GetValue(far), "--far-ood"),
                    Labeled = Positive(parse.GetValue(labeled), "--labeled"),
                    Tars = Positive(parse.GetValue(tars), "--tars"),
                    Shuffle = true,
                    Sidecars = true,
                },
                Workers = Positive(parse.GetValue(workers), "--workers"),
                Budget = Positive(parse.GetValue(budget), "--budget"),
                Port = parse.GetValue(port) is var p and >= 0 and <= 65535 ? p : throw new UsageException($"--port must be 0..65535, got {parse.GetValue(port)}."),
                ExitAfterSummary = parse.GetValue(exit),
                StartServices = !parse.GetValue(noServices),
                WorkDirectory = parse.GetValue(work),
                ServerPath = parse.GetValue(server),
                ModelCache = parse.GetRequiredValue(cache),
                Connection = parse.GetValue(connection),
                RabbitMq = parse.GetValue(rabbit),
                WriteLogin = !parse.GetValue(noLogin),
            };
            if (options.Pool.Labeled > options.Pool.InDistribution)
            {
                throw new UsageException($"--labeled ({options.Pool.Labeled}) cannot exceed --in-distribution ({options.Pool.InDistribution}).");
            }

            return await new DemoRunner(options, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error).RunAsync(cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new UsageException($"{option} must be >= 1, got {value}.");

    private static int NonNegative(int value, string option) =>
        value >= 0 ? value : throw new UsageException($"{option} must be >= 0, got {value}.");
}
