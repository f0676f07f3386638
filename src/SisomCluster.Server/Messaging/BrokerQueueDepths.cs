using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace SisomCluster.Server.Messaging;

/// <summary>
/// Counts the messages in queues of the broker: through the management API when one is configured, otherwise by a
/// passive declare over AMQP (which never creates a queue). A queue that does not exist holds 0 messages.
/// </summary>
public sealed class BrokerQueueDepths : IDisposable
{
    private readonly Uri _amqp;
    private readonly Uri? _management;
    private readonly HttpClient? _http;

    /// <param name="amqp"><c>ConnectionStrings__RabbitMq</c>: the broker, its virtual host and credentials.</param>
    /// <param name="managementUrl"><see cref="MessagingOptions.ManagementUrl"/>, or null to count over AMQP.</param>
    public BrokerQueueDepths(Uri amqp, string? managementUrl)
    {
        ArgumentNullException.ThrowIfNull(amqp);
        _amqp = amqp;
        if (string.IsNullOrWhiteSpace(managementUrl))
        {
            return;
        }

        var management = new Uri(managementUrl, UriKind.Absolute);
        string credentials = management.UserInfo.Length > 0 ? management.UserInfo : amqp.UserInfo;
        _management = new UriBuilder(management) { UserName = string.Empty, Password = string.Empty }.Uri;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        if (credentials.Length > 0)
        {
            string[] parts = credentials.Split(':', 2);
            string user = Uri.UnescapeDataString(parts[0]);
            string password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty;
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
    }

    /// <summary>How the counts are read, for logs: "management API" or "AMQP passive declare".</summary>
    public string Method => _management is null ? "AMQP passive declare" : "management API";

    /// <returns>Each queue's message count (ready messages over AMQP; ready and unacknowledged through the management API).</returns>
    public async Task<IReadOnlyDictionary<string, long>> CountAsync(IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queues);
        return _management is null
            ? await CountOverAmqpAsync(queues, cancellationToken).ConfigureAwait(false)
            : await CountOverManagementAsync(queues, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _http?.Dispose();

    private async Task<Dictionary<string, long>> CountOverManagementAsync(IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        string vhost = Uri.EscapeDataString(VirtualHost());
        foreach (string queue in queues)
        {
            using HttpResponseMessage response = await _http!.GetAsync(new Uri(_management!, $"api/queues/{vhost}/{Uri.EscapeDataString(queue)}"), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                counts[queue] = 0;
                continue;
            }

            response.EnsureSuccessStatusCode();
            using JsonDocument body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);

            // A queue declared a moment ago has no statistics yet: nothing counted is nothing parked.
            counts[queue] = body.RootElement.TryGetProperty("messages", out JsonElement messages) && messages.ValueKind == JsonValueKind.Number ? messages.GetInt64() : 0;
        }

        return counts;
    }

    private async Task<Dictionary<string, long>> CountOverAmqpAsync(IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var factory = new ConnectionFactory { Uri = _amqp, ClientProvidedName = "sisom-queue-watch", AutomaticRecoveryEnabled = false };
        await using IConnection connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (string queue in queues)
        {
            // The broker closes a channel whose passive declare names a missing queue: one channel per queue.
            await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                QueueDeclareOk declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
                counts[queue] = declared.MessageCount;
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                counts[queue] = 0;
            }
        }

        return counts;
    }

    private string VirtualHost()
    {
        string path = Uri.UnescapeDataString(_amqp.AbsolutePath);
        return path.Length <= 1 ? "/" : path[1..];
    }
}
