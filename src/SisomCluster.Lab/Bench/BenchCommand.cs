using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SisomCluster.Cli;
using SisomCluster.Cli.Offline;
using SisomCluster.Inference.Files;

namespace SisomCluster.Lab.Bench;

/// <summary><c>sisom bench</c>: benchmarks with stable ids; <c>bench core</c> measures the SISOM kernel.</summary>
internal static class BenchCommand
{
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create() =>
        new("bench", "Benchmarks with stable ids, each compared in the same run with its baseline." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom bench core --json bench-core.json")
        {
            CreateCore(),
            MarginsBenchmark.CreateCommand(),
            CreateInference(),
            BenchServiceCommands.CreateCluster(rescore: false),
            BenchServiceCommands.CreateCluster(rescore: true),
            CreateAugment(),
            BenchServiceCommands.CreateCopy(),
            BenchServiceCommands.CreateSuite(),
            BenchChaosCommand.Create(),
            BenchScaleCommand.Create(),
        };

    /// <summary>The ResNet-18 stage outputs SISOM's reference configuration uses (layer1, layer2, layer3), with its CIFAR-10 α.</summary>
    private const string DefaultResNetLayers = "ReLU283_Output_0:0.001,ReLU315_Output_0:0.001,ReLU347_Output_0:1000";

    private static Command CreateAugment()
    {
        var model = ModelOptions.Model();
        var cache = ModelOptions.Cache();
        var layers = new Option<string>("--layers") { Description = "Comma-separated TENSOR:ALPHA layers to augment (default: ResNet-18 layer1, layer2, layer3).", DefaultValueFactory = _ => DefaultResNetLayers };
        var batch = new Option<int>("--batch-size") { Description = "Images per inference batch.", DefaultValueFactory = _ => 8 };
        var images = new Option<int>("--images") { Description = "Fashion-MNIST images per round (a backbone's head is fitted on their labels).", DefaultValueFactory = _ => 64 };
        var rounds = new Option<int>("--rounds") { Description = "Measured rounds, plain and augmented interleaved.", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads; 0 = its default.", DefaultValueFactory = _ => 0 };
        var json = new Option<string?>("--json") { Description = "Also write the result as JSON to this file.", HelpName = "FILE" };
        var command = new Command(
            "augment",
            "Inference ms/image of a classifier and of its augmented model (sisom model augment), on CPU: what the backward pass costs relative to the forward." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom bench augment --batch-size 8 --images 64 --rounds 3")
        {
            model, cache, layers, batch, images, rounds, threads, json,
        };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            int batchSize = parse.GetValue(batch);
            int count = parse.GetValue(images);
            int roundCount = parse.GetValue(rounds);
            if (batchSize < 1 || count < 1 || roundCount < 1)
            {
                throw new UsageException("--batch-size, --images and --rounds must be >= 1.");
            }

            List<Inference.Augmentation.LayerChoice> choices;
            try
            {
                choices = parse.GetRequiredValue(layers).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Inference.Augmentation.LayerChoice.Parse).ToList();
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message, e);
            }

            var package = ModelOptions.Load(parse.GetRequiredValue(model), parse.GetRequiredValue(cache));
            string work = Directory.CreateTempSubdirectory("sisom-bench-augment-").FullName;
            try
            {
                output.WriteLine($"model {package.Manifest.Name} {package.Version[..12]}, batch {batchSize}, {count} images x {roundCount} rounds, {Environment.ProcessorCount} cores, CPU");
                AugmentBenchmarkResult r = AugmentBenchmark.Run(package, choices, batchSize, count, roundCount, parse.GetValue(threads), work, line => output.WriteLine($"  {line}"));
                output.WriteLine();
                output.WriteLine($"{"id",-12} {"plain ms/img",13} {"augmented ms/img",17} {"backward ms/img",16} {"backward/forward",17}");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Id,-12} {r.PlainMsPerImage,13:F2} {r.AugmentedMsPerImage,17:F2} {r.BackwardMsPerImage,16:F2} {r.BackwardOverForward,17:F2}"));
                output.WriteLine($"layers: {string.Join(", ", r.Layers)}");
                if (parse.GetValue(json) is { } path)
                {
                    using AtomicFile file = AtomicFile.Create(path);
                    JsonSerializer.Serialize(file.Stream, new { model = package.Manifest.Name, version = package.Version, result = r }, Json);
                    file.Commit();
                    output.WriteLine($"wrote {path}");
                }
            }
            catch (NotSupportedException e)
            {
                throw new UsageException(e.Message, e);
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateInference()
    {
        var model = ModelOptions.Model();
        var cache = ModelOptions.Cache();
        var batches = new Option<string>("--batch-sizes") { Description = "Comma-separated batch sizes.", DefaultValueFactory = _ => "1,8,32" };
        var images = new Option<int>("--images") { Description = "Number of 224x224 JPEGs.", DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads; 0 = its default.", DefaultValueFactory = _ => 0 };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file.", HelpName = "FILE" };
        var command = new Command(
            "inference",
            "Images/s for decode alone, inference alone and decode -> inference pipelined, per batch size, on 224x224 JPEGs (CPU), with peak memory." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom bench inference --batch-sizes 1,8,32 --images 256")
        {
            model, cache, batches, images, threads, json,
        };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            int[] sizes = ParseList(parse.GetRequiredValue(batches), "--batch-sizes");
            int count = parse.GetValue(images);
            if (count < 1)
            {
                throw new UsageException($"--images must be >= 1, got {count}.");
            }

            var package = ModelOptions.Load(parse.GetRequiredValue(model), parse.GetRequiredValue(cache));
            output.WriteLine($"model {package.Manifest.Name} {package.Version[..12]}, {count} JPEGs 224x224, {Environment.ProcessorCount} cores");
            IReadOnlyList<InferenceBenchmarkResult> results = InferenceBenchmark.Run(package, sizes, count, parse.GetValue(threads), line => output.WriteLine($"  running {line}"));
            output.WriteLine();
            output.WriteLine($"{"id",-26} {"decode/s",10} {"infer/s",9} {"pipelined/s",12} {"vs min",7} {"peak MiB",9}");
            foreach (InferenceBenchmarkResult r in results)
            {
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{r.Id,-26} {r.DecodePerSecond,10:F1} {r.InferencePerSecond,9:F1} {r.PipelinedPerSecond,12:F1} {r.PipelineEfficiency,7:F2} {r.PeakWorkingSetBytes / 1048576.0,9:F0}"));
            }

            if (parse.GetValue(json) is { } path)
            {
                using AtomicFile file = AtomicFile.Create(path);
                JsonSerializer.Serialize(file.Stream, new { model = package.Manifest.Name, version = package.Version, results }, Json);
                file.Commit();
                output.WriteLine($"wrote {path}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateCore()
    {
        var sizes = new Option<string>("--reference-sizes") { Description = "Comma-separated |T| values.", DefaultValueFactory = _ => "1000,10000,100000" };
        var dimensions = new Option<string>("--dimensions") { Description = "Comma-separated feature dimensions D.", DefaultValueFactory = _ => "512,960" };
        var classes = new Option<int>("--classes") { Description = "Number of classes K.", DefaultValueFactory = _ => 10 };
        var seconds = new Option<double>("--seconds") { Description = "Target seconds per measured pass.", DefaultValueFactory = _ => 2.0 };
        var seed = new Option<int>("--seed") { Description = "Random seed of the synthetic data.", DefaultValueFactory = _ => 42 };
        var fmaUnits = new Option<int?>("--fma-units") { Description = "FMA units per core for the peak (default 2: AMD Zen, Intel Haswell+)." };
        var ghz = new Option<double?>("--ghz") { Description = "Clock for the peak (default: /proc/cpuinfo cpu MHz)." };
        var block = new Option<int?>("--reference-block") { Description = "References per cache block (default: auto, about 192 KiB)." };
        var queryBlock = new Option<int>("--query-block") { Description = "Queries per parallel work item.", DefaultValueFactory = _ => 64 };
        var kernel = new Option<string?>("--kernel") { Description = "Kernel ISA: vector512, vector256, vector128 or difference (default: SISOM_KERNEL_ISA, else the widest this CPU accelerates).", HelpName = "ISA" };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file.", HelpName = "FILE" };
        var command = new Command(
            "core",
            "SISOM scoring throughput (items/s) and distance GFLOP/s against an SGEMM of the same shape measured on this machine (ONNX Runtime MatMul), with a naive scalar loop as baseline." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom bench core --reference-sizes 1000,10000 --dimensions 512 --json core.json")
        {
            sizes, dimensions, classes, seconds, seed, fmaUnits, ghz, block, queryBlock, kernel, json,
        };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            int[] t = ParseList(parse.GetRequiredValue(sizes), "--reference-sizes");
            int[] d = ParseList(parse.GetRequiredValue(dimensions), "--dimensions");
            int k = parse.GetValue(classes);
            if (k < 2)
            {
                throw new UsageException($"--classes must be >= 2, got {k}.");
            }

            double perFigure = parse.GetValue(seconds);
            if (!(perFigure > 0))
            {
                throw new UsageException($"--seconds must be positive, got {perFigure}.");
            }

            MachinePeak peak = MachinePeak.Detect(parse.GetValue(fmaUnits), parse.GetValue(ghz));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {peak.CpuModel}, {peak.Cores} cores, {peak.Ghz:F3} GHz ({peak.GhzSource}), {peak.Lanes} float32 lanes, {peak.FmaUnits} FMA units ({peak.FmaSource})"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"nominal FP32 peak = 2 x {peak.Lanes} x {peak.FmaUnits} x {peak.Cores} x {peak.Ghz:F3} = {peak.GflopsFp32:F1} GFLOP/s (computed, for reference; the comparison below is with a measured SGEMM)"));
            Core.Neighbours.KernelIsa isa;
            try
            {
                isa = parse.GetValue(kernel) is { } name ? Core.Neighbours.KernelSelection.Parse(name) : Core.Neighbours.KernelSelection.Current;
            }
            catch (ArgumentException e)
            {
                throw new UsageException("--kernel: " + e.Message, e);
            }

            if (!Core.Neighbours.KernelSelection.IsSupported(isa))
            {
                throw new UsageException($"--kernel {isa}: not accelerated on this CPU (best: {Core.Neighbours.KernelSelection.Best}).");
            }

            output.WriteLine($"kernel: {Core.Neighbours.KernelSelection.Describe(isa)}; best on this CPU: {Core.Neighbours.KernelSelection.Best}");
            var search = new Core.Neighbours.NeighbourSearchOptions { ReferenceBlockSize = parse.GetValue(block), QueryBlockSize = parse.GetValue(queryBlock), Kernel = isa };
            IReadOnlyList<CoreBenchmarkResult> results = CoreKernelBenchmark.Run(t, d, k, perFigure, parse.GetValue(seed), search, line => output.WriteLine($"  running {line}"));
            output.WriteLine();
            output.WriteLine($"{"id",-34} {"items/s",12} {"GFLOP/s",9} {"SGEMM GFLOP/s",14} {"% SGEMM",8} | {"naive items/s",13} {"naive GFLOP/s",13} {"speed-up",9}");
            foreach (CoreBenchmarkResult r in results)
            {
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{r.Id,-34} {r.ItemsPerSecond,12:F0} {r.SearchGflops,9:F1} {r.Sgemm.Gflops,14:F1} {100 * r.FractionOfSgemm,7:F1}% | {r.NaiveItemsPerSecond,13:F1} {r.NaiveGflops,13:F2} {r.ItemsPerSecond / r.NaiveItemsPerSecond,8:F0}x"));
            }

            output.WriteLine("SGEMM: ONNX Runtime MatMul (MLAS), 4096 x |T|/K x D on all cores, best of repeated runs; % SGEMM = kernel GFLOP/s / SGEMM GFLOP/s.");

            if (parse.GetValue(json) is { } path)
            {
                using AtomicFile file = AtomicFile.Create(path);
                JsonSerializer.Serialize(file.Stream, new { machine = peak, nominal_peak_gflops_fp32 = peak.GflopsFp32, kernel = isa.ToString(), kernel_description = Core.Neighbours.KernelSelection.Describe(isa), results }, Json);
                file.Commit();
                output.WriteLine($"wrote {path}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static int[] ParseList(string value, string option, bool allowZero = false)
    {
        string[] parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var numbers = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out numbers[i]) || numbers[i] < (allowZero ? 0 : 1))
            {
                throw new UsageException($"{option} must be a comma-separated list of {(allowZero ? "non-negative" : "positive")} integers, got '{value}'.");
            }
        }

        return parts.Length > 0 ? numbers : throw new UsageException($"{option} is empty.");
    }
}
