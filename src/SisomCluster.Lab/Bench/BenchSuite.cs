using SisomCluster.Cli.Offline;
using SisomCluster.Inference.Models;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// <c>sisom bench suite</c>: every benchmark at a size that runs in minutes, each against its baseline in the same run,
/// as one list of <see cref="BenchFigure"/> with stable ids (kernel, decode, inference, pipeline, COPY, cluster,
/// re-scoring). The single benchmarks (<c>bench core</c>, <c>inference</c>, <c>copy</c>, <c>cluster</c>, <c>rescore</c>)
/// take the full sizes.
/// </summary>
public sealed class BenchSuite(BenchSuiteSettings settings, Action<string> progress)
{
    public async Task<IReadOnlyList<BenchFigure>> RunAsync(CancellationToken cancellationToken)
    {
        var figures = new List<BenchFigure>();
        MachinePeak peak = MachinePeak.Detect();

        progress("core kernel");
        foreach (CoreBenchmarkResult r in CoreKernelBenchmark.Run([10_000], [512], 10, 2.0, 42, new Core.Neighbours.NeighbourSearchOptions(), line => progress("  " + line)))
        {
            figures.Add(new BenchFigure(r.Id + ".items_per_s", r.ItemsPerSecond, "items/s", "naive scalar loop", r.NaiveItemsPerSecond));
            // The baseline is an SGEMM of the same shape measured in the same process (ONNX Runtime MLAS), not a peak computed from
            // assumed clocks and lanes (which was wrong for AVX-512 machines); the computed peak stays in the note for reference.
            figures.Add(new BenchFigure(
                r.Id + ".gflops",
                r.SearchGflops,
                "GFLOP/s",
                $"measured SGEMM {r.Sgemm.M}x{r.Sgemm.N}x{r.Sgemm.K} ({r.Sgemm.Library}, {r.Sgemm.Threads} threads)",
                r.Sgemm.Gflops,
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"kernel {r.Kernel}; nominal FP32 peak {peak.GflopsFp32:F1} GFLOP/s (computed from {peak.Lanes} lanes x {peak.FmaUnits} FMA x {peak.Cores} cores x {peak.Ghz:F2} GHz)")));
        }

        progress("decode, inference, pipeline (ResNet-18, CPU)");
        ModelPackage model = ModelOptions.Load("resnet18", settings.ModelCache);
        foreach (InferenceBenchmarkResult r in InferenceBenchmark.Run(model, [32], settings.Images, 0, line => progress("  " + line)))
        {
            figures.Add(new BenchFigure("decode.jpeg224.images_per_s", r.DecodePerSecond, "images/s", "inference (the stage decode must keep up with)", r.InferencePerSecond));
            figures.Add(new BenchFigure(r.Id + ".images_per_s", r.InferencePerSecond, "images/s", "-", null));
            figures.Add(new BenchFigure("pipeline.resnet18.b32.images_per_s", r.PipelinedPerSecond, "images/s", "the slower stage alone", Math.Min(r.DecodePerSecond, r.InferencePerSecond)));
        }

        if (settings.Connection is null)
        {
            progress("no database: COPY, cluster and re-scoring figures skipped");
            return figures;
        }

        progress("COPY commit");
        foreach (CopyBenchmarkResult r in await CopyBenchmark.RunAsync(settings.Connection, settings.CopyRows, [0, 512], line => progress("  " + line), cancellationToken).ConfigureAwait(false))
        {
            figures.Add(new BenchFigure(r.Id + ".rows_per_s", r.CopyRowsPerSecond, "rows/s", "EF Core SaveChanges", r.EfRowsPerSecond));
        }

        progress("COPY commit, re-scoring shaped (scores only, shards of 4 096, concurrent writers)");
        foreach (CopyRescoreResult r in await CopyRescoreBenchmark.RunAsync(settings.Connection, settings.RescoreCopyRows, 4096, [1, 2], line => progress("  " + line), cancellationToken).ConfigureAwait(false))
        {
            figures.Add(new BenchFigure(r.Id + ".rows_per_s", r.RowsPerSecond, "rows/s", "previous commit path (temp table + INSERT ON CONFLICT)", r.LegacyRowsPerSecond));
        }

        if (settings.RabbitMq is null || settings.ServerPath is null)
        {
            progress("no RabbitMQ or server: cluster figures skipped");
            return figures;
        }

        var cluster = new ClusterBenchmarkSettings
        {
            Connection = settings.Connection,
            RabbitMq = settings.RabbitMq,
            ServerPath = settings.ServerPath,
            ModelCache = settings.ModelCache,
            WorkDirectory = settings.WorkDirectory,
            Workers = [1],
            Images = settings.ClusterImages,
            Labeled = Math.Max(20, settings.ClusterImages / 8),
            Tars = 4,
            Embeddings = settings.RescoreEmbeddings,
            References = settings.RescoreReferences,
        };
        var benchmark = new ClusterBenchmark(cluster, line => progress("  " + line));
        progress("cluster, images");
        figures.AddRange(ClusterFigures(await benchmark.RunImagesAsync(cancellationToken).ConfigureAwait(false)));
        progress("cluster, re-scoring stored embeddings");
        figures.AddRange(ClusterFigures(await benchmark.RunRescoreAsync(cancellationToken).ConfigureAwait(false)));
        return figures;
    }

    private static IEnumerable<BenchFigure> ClusterFigures(IReadOnlyList<ClusterBenchmarkResult> results)
    {
        ClusterBenchmarkResult baseline = results[0];
        foreach (ClusterBenchmarkResult r in results.Skip(1))
        {
            yield return new BenchFigure(r.Id + ".items_per_s", r.ItemsPerSecond, "items/s", "single process (" + baseline.Id + ")", baseline.ItemsPerSecond, "request to completed");
            yield return new BenchFigure(r.Id + ".scoring_items_per_s", r.ScoringItemsPerSecond ?? 0, "items/s", "single process (" + baseline.Id + ")", baseline.ItemsPerSecond, "context ready to completed");
        }
    }
}
