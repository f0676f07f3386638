using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Cli.Cluster;

/// <summary><c>sisom pool add</c>: registers a pool source and its items (ids, uris, source, capture time).</summary>
internal static class PoolCommand
{
    public static Command Create() =>
        new("pool", "Pools of unlabeled items." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom pool add crawl-2026-11 /data/crawl/shards/")
        {
            CreateAdd(),
        };

    private static Command CreateAdd()
    {
        Option<string?> connection = DatabaseOption.Create();
        var name = new Argument<string>("NAME") { Description = "A unique pool name." };
        var source = new Argument<string>("SOURCE") { Description = "A directory of images, a folder of WebDataset .tar shards (or one .tar), a CSV/JSONL manifest (id,uri[,source,captured_at]), or an embeddings .npy with its ids file." };
        var kind = new Option<PoolSourceKind?>("--kind") { Description = "The source kind; default: detected from SOURCE." };
        var command = new Command(
            "add",
            "Register a pool and list its items; duplicate ids are reported, not added twice." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom pool add fashion pool/ --kind directory")
        {
            name, source, kind, connection,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            string uri = Path.GetFullPath(parse.GetRequiredValue(source));
            if (!File.Exists(uri) && !Directory.Exists(uri))
            {
                throw new UsageException($"SOURCE {uri}: no such file or directory.");
            }

            IPoolSource pool = parse.GetValue(kind) is { } k ? PoolSources.Open(k, uri) : PoolSources.Open(uri);
            PoolListing listing = pool.List(shardSize: 4096, line => error.WriteLine(line));
            foreach (PoolDuplicate duplicate in listing.Duplicates)
            {
                error.WriteLine($"duplicate id {duplicate.Id} at {duplicate.Location}: kept the first");
            }

            await using var dataSource = SisomDataSource.Create(DatabaseOption.Resolve(parse, connection));
            await using var db = new SisomDbContext(SisomDbContext.CreateOptions(dataSource));
            string poolName = parse.GetRequiredValue(name);
            if (await db.Pools.AnyAsync(p => p.Name == poolName, cancellationToken).ConfigureAwait(false))
            {
                throw new UsageException($"a pool named '{poolName}' exists already.");
            }

            var entity = new Pool
            {
                Id = Guid.NewGuid(),
                Name = poolName,
                SourceKind = pool.Kind.ToString().ToLowerInvariant(),
                SourceUri = pool.Uri,
                CreatedAt = DateTimeOffset.UtcNow,
                ItemCount = listing.Items.Count,
            };
            db.Pools.Add(entity);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            ItemAddResult added = await new ItemRegistry(dataSource).AddItemsAsync(
                entity.Id,
                listing.Items.Select(i => new ItemRow(i.Id, i.Uri, i.Source, i.CapturedAt)),
                cancellationToken).ConfigureAwait(false);
            output.WriteLine($"pool {poolName} ({entity.Id}): {added.Added} items from a {entity.SourceKind} source in {listing.Shards.Count} shard(s); {listing.Duplicates.Count + added.Duplicates} duplicate(s) skipped");
            return ExitCodes.Success;
        });
        return command;
    }
}
