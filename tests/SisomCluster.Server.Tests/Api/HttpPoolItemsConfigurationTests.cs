using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;
using SisomCluster.Server.Pools;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// The server's wiring of http(s) manifest items: <c>Pools__AllowedHosts</c> and the http settings bound from
/// configuration, the named client from <c>IHttpClientFactory</c> (redirects off), the pool opened through
/// <see cref="PoolAccess"/> as every role opens it — against a real HTTP server on loopback.
/// </summary>
public sealed class HttpPoolItemsConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-http-items-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Allowed_hosts_from_configuration_are_fetched_others_and_redirects_are_not()
    {
        int port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        int requests = 0;
        Task serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref requests);
                if (context.Request.Url!.AbsolutePath == "/moved.png")
                {
                    context.Response.StatusCode = 301;
                    context.Response.RedirectLocation = $"http://localhost:{port}/a.png";
                    context.Response.Close();
                    continue;
                }

                byte[] body = "image bytes"u8.ToArray();
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });

        string manifest = Path.Combine(_directory, "pool.csv");
        await File.WriteAllTextAsync(manifest, $"id,uri\na,http://127.0.0.1:{port}/a.png\nb,http://localhost:{port}/a.png\nc,http://127.0.0.1:{port}/moved.png\n");

        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Configuration["Pools:AllowedHosts:0"] = $"127.0.0.1:{port}";
        builder.Configuration["Pools:HttpTimeoutSeconds"] = "5";
        builder.Configuration["Pools:HttpMaxRetries"] = "1";
        builder.AddPoolAccess();
        using IHost host = builder.Build();
        PoolAccess pools = host.Services.GetRequiredService<PoolAccess>();

        IPoolSource source = pools.Open(ManifestPoolSource.KindName, manifest);
        var items = new List<PoolItem>();
        await foreach (ListedShard shard in source.ListAsync(10))
        {
            await foreach (PoolItem item in source.ReadAsync(shard.Descriptor))
            {
                items.Add(item);
            }
        }

        listener.Stop();
        await serving;
        Assert.Equal(["a", "b", "c"], items.Select(i => i.Id));
        Assert.Equal("image bytes"u8.ToArray(), items[0].Bytes.ToArray());
        Assert.Equal(HttpItemReader.HostNotAllowedCode, items[1].ErrorCode);
        Assert.Equal(PoolItem.UnreadableCode, items[2].ErrorCode);
        Assert.Contains("301", items[2].Error, StringComparison.Ordinal);
        Assert.Equal(2, requests);
        Assert.Equal(TimeSpan.FromSeconds(5), pools.Context.HttpItems.Settings.Timeout);
        Assert.Equal(1, pools.Context.HttpItems.Settings.MaxRetries);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
