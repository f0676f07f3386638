using System.Formats.Tar;
using System.Globalization;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace SisomCluster.Inference.Sources;

/// <summary>
/// Writes a crawl the way img2dataset's webdataset writer lays it out, for demos, tests and benchmarks: per shard
/// <c>NNNNN.tar</c> (for each downloaded sample <c>key.ext</c>, <c>key.json</c> with the row's fields, <c>key.txt</c>
/// with the caption), <c>NNNNN.parquet</c> (one row per url: <c>url</c>, <c>key</c>, <c>status</c>,
/// <c>error_message</c>, <c>caption</c>, <c>width</c>, <c>height</c>, <c>captured_at</c>) and <c>NNNNN_stats.json</c>.
/// </summary>
public static class Img2DatasetWriter
{
    /// <summary>Writes <paramref name="shards"/> (each a list of samples) into <paramref name="directory"/>; returns the file names written.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(string directory, IReadOnlyList<IReadOnlyList<Img2DatasetSample>> shards, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(shards);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        for (int shard = 0; shard < shards.Count; shard++)
        {
            string stem = shard.ToString("D5", CultureInfo.InvariantCulture);
            IReadOnlyList<Img2DatasetSample> samples = shards[shard];
            await WriteTarAsync(Path.Combine(directory, stem + ".tar"), samples, cancellationToken).ConfigureAwait(false);
            await WriteParquetAsync(Path.Combine(directory, stem + ".parquet"), samples, cancellationToken).ConfigureAwait(false);
            int successes = samples.Count(s => s.Status == "success");
            await File.WriteAllTextAsync(
                Path.Combine(directory, stem + "_stats.json"),
                JsonSerializer.Serialize(new Dictionary<string, object> { ["count"] = samples.Count, ["successes"] = successes, ["failed_to_download"] = samples.Count - successes }),
                cancellationToken).ConfigureAwait(false);
            written.AddRange([stem + ".tar", stem + ".parquet", stem + "_stats.json"]);
        }

        return written;
    }

    private static async Task WriteTarAsync(string path, IReadOnlyList<Img2DatasetSample> samples, CancellationToken cancellationToken)
    {
        FileStream file = File.Create(path);
        await using (file.ConfigureAwait(false))
        {
            var writer = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: false);
            await using (writer.ConfigureAwait(false))
            {
                foreach (Img2DatasetSample sample in samples.Where(s => s.Status == "success"))
                {
                    await AddAsync(writer, sample.Key + sample.Extension, sample.Image.ToArray(), cancellationToken).ConfigureAwait(false);
                    var json = new Dictionary<string, object?>
                    {
                        ["url"] = sample.Url,
                        ["key"] = sample.Key,
                        ["status"] = sample.Status,
                        ["caption"] = sample.Caption,
                        ["width"] = sample.Width,
                        ["height"] = sample.Height,
                    };
                    await AddAsync(writer, sample.Key + ".json", JsonSerializer.SerializeToUtf8Bytes(json), cancellationToken).ConfigureAwait(false);
                    await AddAsync(writer, sample.Key + ".txt", System.Text.Encoding.UTF8.GetBytes(sample.Caption ?? ""), cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task AddAsync(TarWriter writer, string name, byte[] bytes, CancellationToken cancellationToken)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) };
        await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteParquetAsync(string path, IReadOnlyList<Img2DatasetSample> samples, CancellationToken cancellationToken)
    {
        var url = new DataField<string>("url");
        var key = new DataField<string>("key");
        var status = new DataField<string>("status");
        var error = new DataField<string>("error_message", true);
        var caption = new DataField<string>("caption", true);
        var width = new DataField<int?>("width");
        var height = new DataField<int?>("height");
        var captured = new DataField<string>("captured_at", true);
        var schema = new ParquetSchema(url, key, status, error, caption, width, height, captured);
        FileStream file = File.Create(path);
        await using (file.ConfigureAwait(false))
        {
            ParquetWriter writer = await ParquetWriter.CreateAsync(schema, file, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (writer.ConfigureAwait(false))
            {
                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                await group.WriteAsync(url, [.. samples.Select(s => s.Url)]).ConfigureAwait(false);
                await group.WriteAsync(key, [.. samples.Select(s => s.Key)]).ConfigureAwait(false);
                await group.WriteAsync(status, [.. samples.Select(s => s.Status)]).ConfigureAwait(false);
                await group.WriteAsync(error, [.. samples.Select(s => s.ErrorMessage!)]).ConfigureAwait(false);
                await group.WriteAsync(caption, [.. samples.Select(s => s.Caption!)]).ConfigureAwait(false);
                await group.WriteAsync<int>(width, samples.Select(s => s.Width).ToArray().AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
                await group.WriteAsync<int>(height, samples.Select(s => s.Height).ToArray().AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
                await group.WriteAsync(captured, [.. samples.Select(s => s.CapturedAt?.ToString("O", CultureInfo.InvariantCulture)!)]).ConfigureAwait(false);
            }
        }
    }
}
