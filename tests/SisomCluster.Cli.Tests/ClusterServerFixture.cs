using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Npy;
using SisomCluster.Server.Hosting;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// A whole cluster in this process (<c>sisom-server --roles all</c>: Kestrel on a free port, the real PostgreSQL in a
/// schema of its own, the real RabbitMQ on queues of its own) and a pool of stored embeddings beside it
/// (<see cref="PoolFile"/>: <see cref="Items"/> rows of <see cref="Dimension"/> floats, no backbone pass). Item i lies in
/// cluster i % 4; clusters 0–2 are the classes a test labels, cluster 3 is out of distribution.
/// </summary>
public sealed class ClusterServerFixture : IAsyncLifetime
{
    public const int Items = 240;

    public const int Dimension = 16;

    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-rounds-").FullName;
    private WebApplication? _app;

    public DatabaseFixture Database { get; } = new();

    public string Url { get; private set; } = "";

    public string WriteKey { get; private set; } = "";

    public string PoolFile => Path.Combine(_directory, "emb.npy");

    public static string ItemId(int i) => $"item-{i:D4}";

    /// <summary>The cluster (class) of an item id made by <see cref="ItemId"/>.</summary>
    public static int ClassOf(string itemId) => int.Parse(itemId.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture) % 4;

    public async Task InitializeAsync()
    {
        var random = new Random(11);
        var data = new float[Items * Dimension];
        for (int i = 0; i < Items; i++)
        {
            for (int d = 0; d < Dimension; d++)
            {
                data[(i * Dimension) + d] = (float)((random.NextDouble() * 0.6) + (d % 4 == i % 4 ? 2.0 : 0.0));
            }
        }

        NpyFile.Write(PoolFile, new NpyArray(data, Items, Dimension));
        File.WriteAllLines(Path.Combine(_directory, "emb.ids.txt"), Enumerable.Range(0, Items).Select(ItemId));

        await Database.InitializeAsync();
        await using (SisomDbContext db = Database.CreateDbContext())
        {
            WriteKey = (await new ApiKeyStore(db, TimeProvider.System).CreateAsync("rounds-writer", [ApiScopes.Write])).Secret;
        }

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = Database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "r" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Coordinator:ShardSize"] = "100";
        builder.Configuration["Coordinator:EmbeddingShardSize"] = "100";
        builder.Configuration["Aggregator:SweepSeconds"] = "1";
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.AddSisomServer(ServerRoles.All);
        _app = builder.Build();
        _app.MapSisomServer(ServerRoles.All);
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Runs the CLI in-process against this cluster with the write key.</summary>
    public CliResult Run(params string[] args) => CliResult.Run([.. args, "--server", Url, "--api-key", WriteKey]);
}
