using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using SisomCluster.Data;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Npy;
using SisomCluster.Server.Hosting;

namespace SisomCluster.Server.Tests.Messaging;

/// <summary>
/// In-process servers with chosen roles on the real RabbitMQ and PostgreSQL, sharing one queue prefix of the test's own,
/// and a look at the broker's queues that does not go through the code under test (a passive declare of its own).
/// </summary>
public sealed class MessagingHost : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];

    public MessagingHost(DatabaseFixture database)
    {
        Database = database;
        QueuePrefix = "q" + Guid.NewGuid().ToString("N")[..8];
    }

    public static string RabbitMq => Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";

    public DatabaseFixture Database { get; }

    public string QueuePrefix { get; }

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("sisom-messaging-").FullName;

    /// <summary>A pool of precomputed embeddings: three labeled clusters and an unlabeled, OOD fourth.</summary>
    public async Task<string> AddEmbeddingsPoolAsync(int items)
    {
        const int D = 8;
        var random = new Random(5);
        var data = new float[items * D];
        for (int i = 0; i < items; i++)
        {
            for (int d = 0; d < D; d++)
            {
                data[(i * D) + d] = (float)((random.NextDouble() * 0.6) + (d % 4 == i % 4 ? 2.0 : 0.0));
            }
        }

        string npy = Path.Combine(Directory, "emb.npy");
        NpyFile.Write(npy, new NpyArray(data, items, D));
        File.WriteAllLines(Path.Combine(Directory, "emb.ids.txt"), Enumerable.Range(0, items).Select(i => $"item-{i:D5}"));
        Guid poolId = Guid.NewGuid();
        string name = "messaging-" + QueuePrefix;
        await using (SisomDbContext db = Database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = name, SourceKind = "embeddings", SourceUri = npy, CreatedAt = DateTimeOffset.UtcNow, ItemCount = items });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(Database.DataSource).AddItemsAsync(poolId, Enumerable.Range(0, items).Select(i => new ItemRow($"item-{i:D5}", Source: "crawl")));
        string labels = string.Join('\n', Enumerable.Range(0, items).Where(i => i % 4 < 3).Take(90).Select(i => $"item-{i:D5},{i % 4}"));
        await new LabelImporter(Database.DataSource).ImportAsync(poolId, new StringReader(labels), null);
        return name;
    }

    public async Task<WebApplication> StartAsync(ServerRoles roles, params (string Key, string Value)[] settings)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = Database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = RabbitMq;
        builder.Configuration["Server:QueuePrefix"] = QueuePrefix;
        foreach ((string key, string value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.AddSisomServer(roles);
        WebApplication app = builder.Build();
        app.MapSisomServer(roles);
        await app.StartAsync();
        _apps.Add(app);
        return app;
    }

    public static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>The ready messages of a queue (a passive declare, which creates nothing), or null when it does not exist.</summary>
    public static async Task<uint?> ReadyMessagesAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(RabbitMq) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    /// <summary>Puts a message straight into a queue (declared durable, as MassTransit declares its error queues).</summary>
    public static async Task PutAsync(string queue, string body)
    {
        var factory = new ConnectionFactory { Uri = new Uri(RabbitMq) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await channel.BasicPublishAsync(string.Empty, queue, mandatory: false, new BasicProperties { Persistent = true }, System.Text.Encoding.UTF8.GetBytes(body));
    }

    /// <summary>Empties a queue: its messages are lost, as with an operator's purge or a broker that lost them.</summary>
    public static async Task<uint> PurgeAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(RabbitMq) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync();
        return await channel.QueuePurgeAsync(queue);
    }

    /// <summary>
    /// Removes this prefix's queues, the exchanges MassTransit bound to them (one per queue, same name) and this prefix's
    /// message-type exchanges, so tests leave no durable entities behind on the shared broker.
    /// </summary>
    public async Task DeleteQueuesAsync(IEnumerable<string> queues)
    {
        var factory = new ConnectionFactory { Uri = new Uri(RabbitMq) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        string[] mine = [.. queues.Where(q => q.StartsWith(QueuePrefix, StringComparison.Ordinal))];
        foreach (string queue in mine)
        {
            await using IChannel channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(queue);
        }

        string[] messages = [.. typeof(Contracts.ShardScored).Assembly.GetTypes()
            .Where(t => t.IsClass && t.Namespace == typeof(Contracts.ShardScored).Namespace)
            .Select(t => $"{QueuePrefix}:{t.Namespace}:{t.Name}")];
        foreach (string exchange in mine.Concat(messages))
        {
            await using IChannel channel = await connection.CreateChannelAsync();
            try
            {
                await channel.ExchangeDeleteAsync(exchange);
            }
            catch (OperationInterruptedException)
            {
                // Never declared by this test's hosts: nothing to remove.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (WebApplication app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        _apps.Clear();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
