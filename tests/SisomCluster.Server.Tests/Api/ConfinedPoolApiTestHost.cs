using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// An <see cref="ApiTestHost"/> with a manifest pool whose rows point out of its folder: <c>../</c>, an absolute path
/// elsewhere (existing and not), a symbolic link to a file outside, a path through a symbolic link to a folder outside.
/// </summary>
public sealed class ConfinedPoolApiTestHost : ApiTestHost
{
    public const string ConfinedPool = "confined";

    protected override async Task SeedMoreAsync()
    {
        string folder = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "manifest-pool-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        string secret = Path.Combine(Directory, "secret.png");
        File.Copy(Path.Combine(Directory, "pool", ApiTestHost.ItemId(0)), Path.Combine(folder, "inside.png"));
        File.CreateSymbolicLink(Path.Combine(folder, "link.png"), secret);
        System.IO.Directory.CreateSymbolicLink(Path.Combine(folder, "up"), Directory);
        string manifest = Path.Combine(folder, "manifest.csv");
        await File.WriteAllTextAsync(manifest, "id,uri\ninside.png,inside.png\n");

        var id = Guid.NewGuid();
        await using (SisomDbContext db = Database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = id, Name = ConfinedPool, SourceKind = ManifestPoolSource.KindName, SourceUri = manifest, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        // Rows as a hostile manifest (or a hand-edited registry) would leave them.
        await new ItemRegistry(Database.DataSource).AddItemsAsync(id,
        [
            new ItemRow("inside", Path.Combine(folder, "inside.png")),
            new ItemRow("dotdot", folder + "/../secret.png"),
            new ItemRow("absolute", secret),
            new ItemRow("absolute-missing", Path.Combine(Directory, "no-such-file.png")),
            new ItemRow("symlink", Path.Combine(folder, "link.png")),
            new ItemRow("symlinked-folder", Path.Combine(folder, "up", "secret.png")),
            new ItemRow("inside-missing", Path.Combine(folder, "gone.png")),
        ]);
    }
}
