using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Runs;
using Xunit;

namespace SisomCluster.Server.Tests.Runs;

/// <summary>
/// The shard size a run gets when its request does not say: <c>Coordinator__EmbeddingShardSize</c> for a pool of stored
/// embeddings, <c>Coordinator__ShardSize</c> for any other; a request's own size wins over both.
/// </summary>
public sealed class RunShardSizeTests : IAsyncLifetime
{
    private readonly DatabaseFixture _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public void The_defaults_are_4096_items_and_16384_stored_embeddings()
    {
        var options = new RunOptions();

        Assert.Equal(4096, options.ShardSizeFor("directory"));
        Assert.Equal(4096, options.ShardSizeFor("tar"));
        Assert.Equal(16_384, options.ShardSizeFor(EmbeddingsPoolSource.KindName));
        Assert.Equal(16_384, options.ShardSizeFor("Embeddings"));
        Assert.Equal(4096, options.ShardSizeFor(null));
    }

    [Fact]
    public async Task A_run_on_a_pool_of_stored_embeddings_gets_the_embedding_shard_size_unless_it_asks_for_one()
    {
        string embeddings = await PoolAsync(EmbeddingsPoolSource.KindName);
        string images = await PoolAsync("directory");
        var options = new RunOptions { ShardSize = 300, EmbeddingShardSize = 5000 };

        Assert.Equal(5000, await ShardSizeOfNewRunAsync(options, new RunRequest(embeddings, "resnet18", 5)));
        Assert.Equal(300, await ShardSizeOfNewRunAsync(options, new RunRequest(images, "resnet18", 5)));
        Assert.Equal(77, await ShardSizeOfNewRunAsync(options, new RunRequest(embeddings, "resnet18", 5, ShardSize: 77)));
        Assert.Equal(77, await ShardSizeOfNewRunAsync(options, new RunRequest(images, "resnet18", 5, ShardSize: 77)));
    }

    [Fact]
    public async Task An_unknown_pool_is_still_named_as_unknown()
    {
        await using SisomDbContext db = _database.CreateDbContext();
        var creator = new RunCreator(db, Options.Create(new RunOptions()), TimeProvider.System);

        ArgumentException e = await Assert.ThrowsAnyAsync<ArgumentException>(() => creator.CreateAsync(new RunRequest("no-such-pool", "resnet18", 5), CancellationToken.None));

        Assert.Contains("no-such-pool", e.Message, StringComparison.Ordinal);
    }

    private async Task<int> ShardSizeOfNewRunAsync(RunOptions options, RunRequest request)
    {
        Guid runId;
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            runId = await new RunCreator(db, Options.Create(options), TimeProvider.System).CreateAsync(request, CancellationToken.None);
        }

        await using SisomDbContext read = _database.CreateDbContext();
        return await read.Runs.Where(r => r.Id == runId).Select(r => r.ShardSize).SingleAsync();
    }

    private async Task<string> PoolAsync(string kind)
    {
        var pool = new Pool { Id = Guid.NewGuid(), Name = $"{kind}-{Guid.NewGuid():N}", SourceKind = kind, SourceUri = "/data/pool", CreatedAt = DateTimeOffset.UtcNow };
        await using SisomDbContext db = _database.CreateDbContext();
        db.Pools.Add(pool);
        await db.SaveChangesAsync();
        return pool.Name;
    }
}
