using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Core.Baselines;
using SisomCluster.Core.Scoring;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using SisomCluster.Server.Hosting;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// A real <c>sisom-server --roles api</c> host (Kestrel on a free port, the real PostgreSQL schema of a
/// <see cref="DatabaseFixture"/>, RabbitMQ) over seeded rows: a directory pool of Fashion-MNIST PNGs, a completed
/// run with scores (8-dimensional embeddings), an item error, a selection, thresholds and drift points, and keys.
/// </summary>
public class ApiTestHost : IAsyncLifetime
{
    public const string BootstrapKey = "bootstrap-key-for-the-api-tests";

    public const int MaxLabelsBytes = 4096;

    public const int MaxRequestBytes = 2048;

    public const int ScoredItems = 30;

    public const int Dimensions = 8;

    /// <summary>The logit baselines every seeded score carries.</summary>
    public static LogitBaselines Baselines { get; } = LogitBaselines.Compute([4f, 1f, 0.5f]);

    private WebApplication? _app;

    public DatabaseFixture Database { get; } = new();

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("sisom-api-").FullName;

    public HttpClient Client { get; } = new();

    /// <summary>The running host's services (its endpoint data source, options).</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The host has not started.");

    public string PoolName { get; } = "fashion";

    public Guid PoolId { get; } = Guid.NewGuid();

    public Guid RunId { get; private set; }

    public Guid ContextId { get; private set; }

    public string ReadKey { get; private set; } = "";

    public string WriteKey { get; private set; } = "";

    public string RevokedKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        await SeedAsync();
        await SeedMoreAsync();

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = Database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "a" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Api:BootstrapKey"] = BootstrapKey;
        builder.Configuration["Api:MaxRequestBytes"] = MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Configuration["Api:MaxLabelsBytes"] = MaxLabelsBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach ((string key, string value) in Settings)
        {
            builder.Configuration[key] = value;
        }

        builder.AddSisomServer(ServerRoles.Api);
        _app = builder.Build();
        _app.MapSisomServer(ServerRoles.Api);
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client.BaseAddress = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Database.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>Rows a derived host adds after the common seed, before the server starts.</summary>
    protected virtual Task SeedMoreAsync() => Task.CompletedTask;

    /// <summary>Settings a derived host adds to the configuration (e.g. <c>Api:ProtectOperationalEndpoints</c>).</summary>
    protected virtual IEnumerable<(string Key, string Value)> Settings => [];

    public HttpRequestMessage Request(HttpMethod method, string path, string? key)
    {
        var request = new HttpRequestMessage(method, new Uri(Client.BaseAddress!, path));
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? key) => Client.SendAsync(Request(HttpMethod.Get, path, key));

    public Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, string key, object body)
    {
        HttpRequestMessage request = Request(method, path, key);
        request.Content = System.Net.Http.Json.JsonContent.Create(body);
        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string key, string body, string contentType)
    {
        HttpRequestMessage request = Request(method, path, key);
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, contentType);
        return Client.SendAsync(request);
    }

    /// <summary>Asserts an RFC 7807 answer with <paramref name="status"/> (the header's and the body's) and returns its body.</summary>
    public static async Task<System.Text.Json.JsonElement> ProblemAsync(HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        ArgumentNullException.ThrowIfNull(response);
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            System.Text.Json.JsonElement problem = System.Text.Json.JsonDocument.Parse(body).RootElement.Clone();
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            return problem;
        }
    }

    /// <summary>The embedding of item i: items 0–14 point along axis 0, 15–29 along axis 1, each tilted a little by its index.</summary>
    public static float[] Embedding(int i)
    {
        var v = new float[Dimensions];
        v[i < 15 ? 0 : 1] = 1f;
        v[2 + (i % 6)] = 0.01f * (i % 15);
        return v;
    }

    public static string ItemId(int i) => $"img-{i:D2}.png";

    private async Task SeedAsync()
    {
        string poolDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "pool")).FullName;
        FashionMnist data = FashionMnist.Load(train: true, limit: 4);
        for (int i = 0; i < 4; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(poolDirectory, ItemId(i)), data.EncodePng(i));
        }

        // A file beside the pool whose row (written by hand, as a corrupted registry would be) points outside it.
        string outside = Path.Combine(Directory, "secret.png");
        await File.WriteAllBytesAsync(outside, data.EncodePng(0));

        await using (SisomDbContext db = Database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = PoolId, Name = PoolName, SourceKind = "directory", SourceUri = poolDirectory, CreatedAt = DateTimeOffset.UtcNow });
            db.Pools.Add(new Pool { Id = Guid.NewGuid(), Name = "other", SourceKind = "directory", SourceUri = poolDirectory, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(Database.DataSource).AddItemsAsync(
            PoolId,
            [.. Enumerable.Range(0, ScoredItems + 1).Select(i => new ItemRow(ItemId(i), Path.Combine(poolDirectory, ItemId(i)), i < 20 ? "crawl-a" : "crawl-b")), new ItemRow("outside.png", outside)]);
        await new LabelImporter(Database.DataSource).ImportAsync(PoolId, new StringReader("img-00.png,0\nimg-01.png,1"), null);

        ContextId = await Seed.ContextAsync(Database, PoolId);
        RunId = await Seed.RunAsync(Database, PoolId, shards: 1, itemsPerShard: ScoredItems + 1);
        DateTimeOffset at = new(2031, 5, 1, 8, 0, 0, TimeSpan.Zero);
        List<ItemScoreRow> scores = [.. Enumerable.Range(0, ScoredItems).Select(i => new ItemScoreRow
        {
            ItemId = ItemId(i),
            ContextId = ContextId,
            Score = new SisomItemScore(
                Predicted: i % 3,
                NearestReference: 0,
                DIn: i == 5 ? double.PositiveInfinity : 1.0 + i,
                DOut: 2.0,
                Ratio: 0.5,
                Sisom: i / 10.0,
                Sisome: i / 20.0,
                Knn: i / 30.0,
                Baselines: Baselines,
                OodSisom: i % 4 == 0,
                OodSisome: false,
                OodKnn: i % 5 == 0,
                OodEnergy: false,
                NoReference: i == 5,
                IsReference: false),
            NearestReference = "img-00.png",
            ScoredAt = at,
            Embedding = Embedding(i),
        })];
        await new ShardResultWriter(Database.DataSource).CommitAsync(RunId, 0, 1, scores, [new ItemErrorRow(ItemId(ScoredItems), "corrupt", "not an image", at)]);

        await using (SisomDbContext db = Database.CreateDbContext())
        {
            await db.Runs.Where(r => r.Id == RunId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, RunState.Completed).SetProperty(r => r.StoreEmbeddings, true).SetProperty(r => r.ContextId, ContextId));
            db.Selections.AddRange(Enumerable.Range(1, 5).Select(rank => new Selection { RunId = RunId, Rank = rank, ItemId = ItemId(30 - rank), Score = 3 - (rank / 10.0), OriginalScore = 3, Predicted = 0, Reason = "top_score" }));
            db.Thresholds.Add(new Threshold { RunId = RunId, ContextId = ContextId, ScoreKind = "sisom", Quantile = 0.95, N = 2, Value = 1.5, ModelVersion = "sha256:model", ReferenceVersion = "sha256:refs" });
            db.DriftPoints.AddRange(
                new DriftPoint { RunId = RunId, BucketKind = DriftBucketKind.Hour, Bucket = "2031-05-01T08:00Z", Scored = 30, Flagged = 8, Rate = 0.27, Lower = 0.14, Upper = 0.44 },
                new DriftPoint { RunId = RunId, BucketKind = DriftBucketKind.Source, Bucket = "crawl-a", Scored = 20, Flagged = 5, Rate = 0.25, Lower = 0.11, Upper = 0.47 },
                new DriftPoint { RunId = RunId, BucketKind = DriftBucketKind.Source, Bucket = "crawl-b", Scored = 10, Flagged = 3, Rate = 0.3, Lower = 0.11, Upper = 0.6 });
            await db.SaveChangesAsync();

            var store = new ApiKeyStore(db, TimeProvider.System);
            ReadKey = (await store.CreateAsync("reader", [ApiScopes.Read])).Secret;
            WriteKey = (await store.CreateAsync("writer", [ApiScopes.Write])).Secret;
            RevokedKey = (await store.CreateAsync("gone", [ApiScopes.Admin])).Secret;
            await store.RevokeAsync(ApiKeySecret.PrefixOf(RevokedKey));
        }
    }
}
