using System.Diagnostics;
using SisomCluster.Inference.Npy;
using SisomCluster.Inference.Pools;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Inference.Tests.Fuzz;

/// <summary>
/// Seeded fuzzing of the one .npy header reader, through every way the product reads .npy files: the
/// whole-array reader (seekable and pipe) and the N×D header of the embeddings pool source.
/// </summary>
public sealed class NpyFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 20_000;

    // Header text, its string, the parse tree and one exception: bounded by the input, never by the header's claims.
    private static long Bound(int inputLength) => (1 << 20) + (32L * inputLength);

    [Fact]
    public void The_whole_array_reader_survives_mutated_files()
    {
        var watch = Stopwatch.StartNew();
        int inputs = FuzzAssert.Run(
            NpyBytes.Seed(), bytes => NpyFile.Read(new MemoryStream(bytes), "f.npy"), seed: 12, Iterations, Bound, "npy", oneLineMessages: true, typeof(InvalidDataException));

        output.WriteLine($"{inputs} inputs in {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void The_whole_array_reader_survives_mutated_pipes()
    {
        var watch = Stopwatch.StartNew();
        int inputs = FuzzAssert.Run(
            NpyBytes.Seed(), bytes => NpyFile.Read(new NonSeekableStream(bytes), "p.npy"), seed: 13, Iterations, Bound, "npy", oneLineMessages: true, typeof(InvalidDataException));

        output.WriteLine($"{inputs} inputs in {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void The_pool_matrix_header_survives_mutated_files()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sisom-fuzz-{Guid.NewGuid():N}.npy");
        try
        {
            var watch = Stopwatch.StartNew();
            int inputs = FuzzAssert.Run(
                NpyBytes.Seed(),
                bytes =>
                {
                    File.WriteAllBytes(path, bytes);
                    _ = NpyMatrixHeader.Read(path);
                },
                seed: 14,
                Iterations / 10,
                n => Bound(n) + (64 << 10),
                "npy",
                oneLineMessages: true,
                typeof(InvalidDataException));

            output.WriteLine($"{inputs} inputs in {watch.ElapsedMilliseconds} ms");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_an_error_not_a_stack_overflow()
    {
        // 60 000 levels: a recursive parser without a depth limit overflows even a default 1.5 MiB stack here,
        // which kills the process (exit 134) instead of failing one test.
        string deep = "{'descr': '<f4', 'fortran_order': False, 'shape': " + new string('(', 60_000) + "}";
        byte[] bytes = NpyBytes.Build(deep, major: 2);

        InvalidDataException? error = null;
        FuzzAssert.OnSmallStack(() => error = Assert.Throws<InvalidDataException>(() => NpyFile.Read(new MemoryStream(bytes), "deep.npy")));

        Assert.Contains($"nests deeper than {NpyHeaderParser.MaxDepth} levels", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_up_to_the_limit_still_parses()
    {
        string nested = new string('[', NpyHeaderParser.MaxDepth - 1) + new string(']', NpyHeaderParser.MaxDepth - 1);

        Dictionary<string, object?> header = NpyHeaderParser.ParseDictionary("{'x': " + nested + "}");

        Assert.IsType<List<object?>>(header["x"]);
        Assert.Throws<FormatException>(() => NpyHeaderParser.ParseDictionary("{'x': [" + nested + "]}"));
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }
    }
}
