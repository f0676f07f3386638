using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Sources;
using SisomCluster.Inference.Tests.Models;
using Xunit;

namespace SisomCluster.Inference.Tests.Extraction;

public sealed class EmbeddingPipelineTests
{
    [Fact]
    public async Task Bad_items_become_typed_failures_and_good_ones_keep_source_order()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 10);
        var source = new List<SourceImage>();
        for (int i = 0; i < 10; i++)
        {
            source.Add(new SourceImage($"good-{i}", data.EncodePng(i)));
            if (i == 3)
            {
                source.Add(new SourceImage("empty", Array.Empty<byte>()));
                source.Add(new SourceImage("text", "hello, not an image"u8.ToArray()));
                byte[] png = data.EncodePng(i);
                source.Add(new SourceImage("truncated", png.AsMemory(0, png.Length / 2)));
            }
        }

        using var extractor = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cpu });
        var ids = new List<string>();
        var failures = new List<ItemFailure>();
        PipelineStatistics stats = await new EmbeddingPipeline(extractor, new PipelineOptions { BatchSize = 4 }).RunAsync(source, (b, _) =>
        {
            ids.AddRange(b.Ids.Take(b.Count));
            failures.AddRange(b.Failures);
            return ValueTask.CompletedTask;
        });

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"good-{i}"), ids);
        Assert.Equal(["empty", "text", "truncated"], failures.Select(f => f.Id));
        Assert.Equal(["empty", "unsupported_format", "truncated"], failures.Select(f => f.Code));
        Assert.Equal(13, stats.Items);
        Assert.Equal(10, stats.Embedded);
        Assert.Equal(3, stats.Failed);
    }

    [Fact]
    public async Task A_failing_callback_ends_the_run_with_its_exception_and_leaves_no_stuck_producer()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 20);
        using var extractor = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cpu });
        var pipeline = new EmbeddingPipeline(extractor, new PipelineOptions { BatchSize = 2, QueuedBatches = 1 });
        Task run = pipeline.RunAsync(
            Enumerable.Range(0, data.Count).Select(i => new SourceImage($"i{i}", data.EncodePng(i))),
            (_, _) => throw new InvalidOperationException("the store is down"));
        Task finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.Same(run, finished);
        Assert.Equal("the store is down", (await Assert.ThrowsAsync<InvalidOperationException>(() => run)).Message);
    }

    [Fact]
    public async Task Tar_source_groups_members_by_key_and_reports_duplicates()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 3);
        string tar = Path.Combine(Path.GetTempPath(), $"sisom-{Guid.NewGuid():N}.tar");
        try
        {
            using (var stream = File.Create(tar))
            using (var writer = new System.Formats.Tar.TarWriter(stream))
            {
                void Add(string name, byte[] bytes)
                {
                    var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) };
                    writer.WriteEntry(entry);
                }

                Add("shard/a.png", data.EncodePng(0));
                Add("shard/a.json", "{\"label\": 1}"u8.ToArray());
                Add("shard/b.png", data.EncodePng(1));
                Add("shard/b.jpg", data.EncodePng(2));
                Add("shard/c.txt", "no image"u8.ToArray());
            }

            var duplicates = new List<string>();
            var items = await ImageSources.FromTarAsync(tar, duplicates.Add).ToListAsync();
            Assert.Equal(["shard/a", "shard/b"], items.Select(i => i.Id));
            Assert.Equal(["shard/b"], duplicates);
        }
        finally
        {
            File.Delete(tar);
        }
    }
}
