using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Hosting;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// A real <c>sisom-server --roles api</c> (Kestrel on a free port) over a migrated schema of its own on the real
/// PostgreSQL, with a key of each scope: what the CLI's cluster commands talk to, as they would to a deployment.
/// </summary>
public sealed class ApiServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public DatabaseFixture Database { get; } = new();

    public string Url { get; private set; } = "";

    public string ReadKey { get; private set; } = "";

    public string WriteKey { get; private set; } = "";

    public string AdminKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        await using (SisomDbContext db = Database.CreateDbContext())
        {
            var store = new ApiKeyStore(db, TimeProvider.System);
            ReadKey = (await store.CreateAsync("cli-reader", [ApiScopes.Read])).Secret;
            WriteKey = (await store.CreateAsync("cli-writer", [ApiScopes.Write])).Secret;
            AdminKey = (await store.CreateAsync("cli-admin", [ApiScopes.Admin])).Secret;
        }

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = Database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "c" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.AddSisomServer(ServerRoles.Api);
        _app = builder.Build();
        _app.MapSisomServer(ServerRoles.Api);
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
    }

    /// <summary>Runs the CLI in-process against this server with <paramref name="key"/>.</summary>
    public CliResult Run(string key, params string[] args) => CliResult.Run([.. args, "--server", Url, "--api-key", key]);
}
