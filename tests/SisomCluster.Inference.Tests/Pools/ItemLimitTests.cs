using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

/// <summary>
/// A file over the item limit fails as that item, unread. Measured by the whole process's allocations (file reads hop
/// threads), so it runs alone: a CI run saw 62 MB counted here while other tests ran beside it.
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class ItemLimitTests
{
    [Fact]
    public async Task A_file_over_the_item_limit_fails_as_an_item_without_being_read()
    {
        using var files = new PoolTestFiles();
        string big = files.PathOf("dir/big.png");
        Directory.CreateDirectory(Path.GetDirectoryName(big)!);
        using (FileStream stream = File.Create(big))
        {
            // Sparse: the size is what matters, nothing is written.
            stream.SetLength(PoolItem.MaxBytes + 1);
        }

        files.Write("dir/small.png", PoolTestFiles.Png(0));
        var source = new DirectoryPoolSource(files.PathOf("dir"));

        // File reads are asynchronous (thread hops), so count the whole process; reading the file would cost 64 MiB.
        long before = GC.GetTotalAllocatedBytes(precise: true);
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, await source.ListAllAsync(shardSize: 10));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(PoolItem.UnreadableCode, read[0].ErrorCode);
        Assert.Contains("more than the 64 MiB an item may have", read[0].Error, StringComparison.Ordinal);
        Assert.Null(read[1].ErrorCode);
        Assert.InRange(allocated, 0, 32 << 20);
    }
}
