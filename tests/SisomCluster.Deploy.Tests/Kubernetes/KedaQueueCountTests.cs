using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using SisomCluster.Deploy.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Deploy.Tests.Kubernetes;

/// <summary>
/// Why KEDA's trigger uses the management API (kedacore/keda#1325), on the real RabbitMQ: with shards delivered to a
/// worker and not yet acknowledged, the AMQP count (KEDA's protocol amqp: a passive declare) sees only the ready ones,
/// while the management API's <c>messages</c> (protocol http, mode QueueLength) counts ready + unacknowledged. The URL
/// is the one the chart puts in the Secret for the TriggerAuthentication, derived from the connection string.
/// </summary>
public sealed class KedaQueueCountTests
{
    [Fact]
    public async Task The_management_url_from_the_chart_counts_unacknowledged_shards_that_amqp_does_not()
    {
        string amqp = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        ToolResult rendered = DeployTools.HelmTemplateOnly("templates/secret.yaml", "secrets.postgres=Host=pg", "secrets.rabbitmq=" + amqp);
        Assert.True(rendered.ExitCode == 0, rendered.Describe());
        string line = rendered.Output.Split('\n').Single(l => l.TrimStart().StartsWith("rabbitmq-management:", StringComparison.Ordinal));
        var management = new Uri(JsonSerializer.Deserialize<string>(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())!);

        string queue = "keda-count-" + Guid.NewGuid().ToString("N")[..8];
        var factory = new ConnectionFactory { Uri = new Uri(amqp) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        try
        {
            for (int i = 0; i < 5; i++)
            {
                await channel.BasicPublishAsync("", queue, Encoding.UTF8.GetBytes($"shard {i}"));
            }

            // Publishes are not confirmed: wait until the queue holds all five before another channel takes any.
            DateTime published = DateTime.UtcNow.AddSeconds(10);
            while ((await channel.QueueDeclarePassiveAsync(queue)).MessageCount < 5 && DateTime.UtcNow < published)
            {
                await Task.Delay(50);
            }

            // A worker with prefetch 2 holds two shards, unacknowledged.
            await using IChannel worker = await connection.CreateChannelAsync();
            await worker.BasicQosAsync(0, 2, global: false);
            for (int i = 0; i < 2; i++)
            {
                Assert.NotNull(await worker.BasicGetAsync(queue, autoAck: false));
            }

            uint ready = (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
            Assert.Equal(3u, ready);

            // What KEDA's http mode asks: GET <host>/api/queues/<vhost>/<queue> (vhost from the URL's path, "/" by default).
            using var http = new HttpClient();
            string[] credentials = Uri.UnescapeDataString(management.UserInfo).Split(':', 2);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials[0]}:{credentials[1]}")));
            string vhost = management.AbsolutePath.Trim('/') is { Length: > 0 } path ? path : "%2F";
            var url = new Uri(management, $"/api/queues/{vhost}/{queue}");
            long messages = -1;
            long unacknowledged = -1;
            DateTime deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                // The management API's counts are refreshed every few seconds.
                using JsonDocument info = JsonDocument.Parse(await http.GetStringAsync(url));
                if (info.RootElement.TryGetProperty("messages", out JsonElement m) && info.RootElement.TryGetProperty("messages_unacknowledged", out JsonElement u))
                {
                    (messages, unacknowledged) = (m.GetInt64(), u.GetInt64());
                    if (messages == 5 && unacknowledged == 2)
                    {
                        break;
                    }
                }

                await Task.Delay(500);
            }

            Assert.Equal((5L, 2L), (messages, unacknowledged));
        }
        finally
        {
            await channel.QueueDeleteAsync(queue);
        }
    }
}
