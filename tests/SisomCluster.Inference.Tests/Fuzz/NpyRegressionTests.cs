using SisomCluster.Inference.Npy;
using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Fuzz;

/// <summary>
/// Every crafted .npy file that took a process down or asked for gigabytes before the header reader was
/// unified, by name (the files live in TestData/fuzz/npy and also seed the fuzz runs).
/// </summary>
public sealed class NpyRegressionTests
{
    private const long SmallAllocation = 256 << 10;

    [Theory]
    [InlineData("rows-times-columns-overflow-f8.npy", "more bytes than any file can hold")]
    [InlineData("rows-2pow62.npy", "invalid extent 4611686018427387904")]
    [InlineData("count-overflows-long.npy", "more values than any file can hold")]
    [InlineData("billion-rows-148-bytes.npy", "needs 16000000000 data bytes, the file holds 20")]
    [InlineData("header-length-4gib.npy", "announces a 4294967295-byte header")]
    [InlineData("header-length-16mib-short-file.npy", "announces a 16777216-byte header")]
    [InlineData("dims-65.npy", "65-dimensional shape")]
    [InlineData("deep-nesting-list-dict.npy", "nests deeper than 16 levels")]
    [InlineData("huge-integer-literal.npy", "is not an integer")]
    [InlineData("newline-in-key.npy", "unexpected header keys")]
    public void A_crafted_pool_file_is_refused_with_a_reason_and_no_large_allocation(string name, string reason)
    {
        string path = Corpus(name);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => NpyMatrixHeader.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.True(allocated < SmallAllocation, $"{name}: allocated {allocated} bytes");
    }

    [Theory]
    [InlineData("rows-times-columns-overflow-f8.npy")]
    [InlineData("billion-rows-148-bytes.npy")]
    [InlineData("header-length-4gib.npy")]
    [InlineData("header-length-16mib-short-file.npy")]
    public void A_crafted_file_is_refused_by_the_whole_array_reader_before_allocating(string name)
    {
        byte[] bytes = File.ReadAllBytes(Corpus(name));

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidDataException>(() => NpyFile.Read(new MemoryStream(bytes), name));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < SmallAllocation, $"{name}: allocated {allocated} bytes");
    }

    [Fact]
    public void The_deep_nesting_file_is_refused_by_the_pool_reader_on_a_small_stack()
    {
        string path = Corpus("deep-nesting-60000.npy");

        FuzzAssert.OnSmallStack(() =>
        {
            var error = Assert.Throws<InvalidDataException>(() => NpyMatrixHeader.Read(path));
            Assert.Contains("nests deeper than", error.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void The_seed_file_reads_as_3_by_4()
    {
        NpyMatrixHeader header = NpyMatrixHeader.Read(Corpus("seed-3x4-f4.npy"));

        Assert.Equal((3L, 4, NpyDataType.Float32), (header.Rows, header.Columns, header.DataType));
    }

    private static string Corpus(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "fuzz", "npy", name);
}
