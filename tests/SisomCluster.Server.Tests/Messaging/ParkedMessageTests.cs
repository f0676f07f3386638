using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Hosting;
using SisomCluster.Server.Messaging;
using SisomCluster.Server.Runs;
using SisomCluster.Server.Tests.Telemetry;
using Xunit;

namespace SisomCluster.Server.Tests.Messaging;

/// <summary>
/// A message parked in the score-shard endpoint's error queue shows up as <c>sisom_error_queue_messages{queue}</c> at
/// <c>/metrics</c> and in the status of a run not yet finished, counted through the management API or over AMQP.
/// </summary>
public sealed class ParkedMessageTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private const string Key = "parked-messages-test-key";

    public static TheoryData<bool> Methods => [true, false];

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task A_message_parked_in_the_score_shard_error_queue_is_a_gauge_and_a_run_status_warning(bool managementApi)
    {
        string? management = Environment.GetEnvironmentVariable("SISOM_RABBITMQ_MANAGEMENT");
        Assert.True(!managementApi || management is { Length: > 0 }, "SISOM_RABBITMQ_MANAGEMENT is not set (export $(deploy/local/services.sh env))");
        await using var host = new MessagingHost(database);
        var queues = new SisomQueues(host.QueuePrefix);
        string errorQueue = queues.ScoreShard + "_error";
        try
        {
            string pool = await host.AddEmbeddingsPoolAsync(40);
            Guid runId;
            await using (SisomDbContext db = database.CreateDbContext())
            {
                runId = await new RunCreator(db, Options.Create(new RunOptions()), TimeProvider.System).CreateAsync(new RunRequest(pool, "resnet18", Budget: 5), CancellationToken.None);
            }

            List<(string, string)> settings = [("Api:BootstrapKey", Key), ("Messaging:ParkedCheckSeconds", "1")];
            if (managementApi)
            {
                settings.Add(("Messaging:ManagementUrl", management!));
            }

            WebApplication app = await host.StartAsync(ServerRoles.Api, [.. settings]);
            using var client = new HttpClient { BaseAddress = MessagingHost.Address(app) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

            // Nothing parked: once the first count is in (the gauge has the queue), it says 0 and the run has no warning.
            Assert.Equal(0, await GaugeAsync(client, errorQueue, v => v is not null));
            Assert.Null((await client.GetFromJsonAsync<RunResponse>($"api/v1/runs/{runId}", SisomJson.Options))!.ParkedMessages);

            await MessagingHost.PutAsync(errorQueue, """{"message":{"runId":"00000000-0000-0000-0000-000000000000","shardId":0,"attempt":1}}""");
            await MessagingHost.PutAsync(errorQueue, """{"message":{"runId":"00000000-0000-0000-0000-000000000000","shardId":1,"attempt":1}}""");

            // The management API refreshes its statistics every few seconds; AMQP counts at once. Both puts are awaited,
            // but a count can land between them (the watch counts every second): wait for the two.
            RunResponse? run = null;
            DateTime deadline = DateTime.UtcNow.AddSeconds(30);
            while (run?.ParkedMessages?.Messages != 2 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                run = await client.GetFromJsonAsync<RunResponse>($"api/v1/runs/{runId}", SisomJson.Options);
            }

            ParkedMessagesResponse parked = Assert.IsType<ParkedMessagesResponse>(run?.ParkedMessages);
            Assert.Equal(2, parked.Messages);
            Assert.Equal(2, parked.Queues[errorQueue]);
            Assert.Contains("Not lost work", parked.Note, StringComparison.Ordinal);
            Assert.Equal(2, await GaugeAsync(client, errorQueue, v => v == 2));

            // The list shows it too (what `sisom run status <prefix>` resolves through).
            Page<RunResponse> page = (await client.GetFromJsonAsync<Page<RunResponse>>($"api/v1/runs?id_prefix={runId.ToString()[..8]}", SisomJson.Options))!;
            Assert.Equal(2, Assert.Single(page.Items).ParkedMessages?.Messages);
        }
        finally
        {
            await host.DisposeAsync();
            await host.DeleteQueuesAsync(queues.Consumers.Concat(queues.ParkingQueues));
        }
    }

    /// <summary><c>sisom_error_queue_messages{queue}</c> at <c>/metrics</c> once <paramref name="until"/> holds (or after 30 s).</summary>
    private static async Task<double?> GaugeAsync(HttpClient client, string queue, Func<double?, bool> until)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            string metrics = await client.GetStringAsync("metrics");
            double? value = PrometheusSample.Parse(metrics).SingleOrDefault(s => s.Name == "sisom_error_queue_messages" && s.Label("queue") == queue)?.Value;
            if (until(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(250);
        }
    }
}
