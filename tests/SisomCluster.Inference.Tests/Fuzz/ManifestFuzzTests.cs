using System.Diagnostics;
using System.Text;
using SisomCluster.Inference.Pools;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Inference.Tests.Fuzz;

/// <summary>Seeded fuzzing of the manifest reader (CSV through the one CsvReader, and JSONL) and its line and depth limits.</summary>
public sealed class ManifestFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Iterations = 3_000;

    private readonly string _folder = Directory.CreateTempSubdirectory("sisom-manifest-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("m.csv", "id,uri,source,captured_at\na,a.png,cam1,2024-01-01T00:00:00Z\n\"b,1\",\"sub/b.png\",,1700000000\nc,c.png,\"x\"\"y\",\n")]
    [InlineData("m.jsonl", "{\"id\": \"a\", \"uri\": \"a.png\", \"source\": \"cam1\", \"captured_at\": 1700000000}\n{\"id\": \"b\", \"uri\": \"sub/b.png\", \"captured_at\": \"2024-01-01T00:00:00Z\"}\n")]
    public void The_manifest_reader_survives_mutated_manifests(string name, string seed)
    {
        string path = Path.Combine(_folder, name);
        var watch = Stopwatch.StartNew();
        int inputs = FuzzAssert.Run(
            Encoding.UTF8.GetBytes(seed),
            bytes =>
            {
                File.WriteAllBytes(path, bytes);
                _ = ManifestParser.Parse(path);
            },
            seed: name.Length,
            Iterations,
            n => (2 << 20) + (64L * n),
            "manifest",
            oneLineMessages: false, // the manifest error lists up to 20 malformed lines, one per line
            typeof(InvalidDataException));

        output.WriteLine($"{inputs} inputs in {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void A_jsonl_line_over_the_limit_is_an_error_of_its_line_and_is_not_held()
    {
        string path = Path.Combine(_folder, "long.jsonl");
        string huge = "{\"id\": \"" + new string('x', 8 << 20) + "\", \"uri\": \"a.png\"}";
        File.WriteAllText(path, "{\"id\": \"a\", \"uri\": \"a.png\"}\n" + huge + "\n{\"id\": \"c\", \"uri\": \"c.png\"}\n");

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => ManifestParser.Parse(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains($"line 2: longer than {ManifestParser.MaxLineLength} characters", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("line 1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("line 3", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes for an 8 MiB line");
    }

    [Fact]
    public void A_jsonl_line_nested_deeper_than_the_limit_is_invalid_json()
    {
        string path = Path.Combine(_folder, "deep.jsonl");
        File.WriteAllText(path, "{\"id\": \"a\", \"uri\": \"a.png\", \"x\": " + new string('[', ManifestParser.MaxJsonDepth) + new string(']', ManifestParser.MaxJsonDepth) + "}\n");

        var error = Assert.Throws<InvalidDataException>(() => ManifestParser.Parse(path));

        Assert.Contains("line 1: invalid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nul_character_in_a_uri_is_an_error_of_its_line()
    {
        // Found by fuzzing: Path.GetFullPath threw ArgumentException out of the parser.
        string path = Path.Combine(_folder, "nul.csv");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "fuzz", "manifest", "nul-in-uri.csv"), path);

        var error = Assert.Throws<InvalidDataException>(() => ManifestParser.Parse(path));

        Assert.Contains("line 2: uri contains a NUL character", error.Message, StringComparison.Ordinal);
    }
}
