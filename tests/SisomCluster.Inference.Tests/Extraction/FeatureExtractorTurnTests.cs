using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Decoding;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Tests.Models;
using Xunit;

namespace SisomCluster.Inference.Tests.Extraction;

/// <summary>
/// A CPU session whose intra-op threads cover every core runs one batch at a time, whoever calls: a worker's shards in
/// flight share it, and each batch already spreads over every core (FeatureExtractor's remarks).
/// </summary>
public sealed class FeatureExtractorTurnTests
{
    [Fact]
    public async Task Concurrent_callers_take_turns_and_get_the_features_a_lone_caller_gets()
    {
        const int Callers = 6;
        const int Batch = 2;
        FashionMnist data = FashionMnist.Load(train: true, limit: Callers * Batch);
        using var extractor = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = Environment.ProcessorCount });
        Assert.True(extractor.TakesTurns);
        var decoder = new ImageDecoder(extractor.Model.Normalization);
        float[][] inputs = new float[Callers][];
        for (int c = 0; c < Callers; c++)
        {
            inputs[c] = new float[Batch * extractor.InputLength];
            for (int i = 0; i < Batch; i++)
            {
                Assert.True(decoder.Decode(data.EncodePng((c * Batch) + i), inputs[c].AsSpan(i * extractor.InputLength, extractor.InputLength)).Success);
            }
        }

        float[][] alone = new float[Callers][];
        for (int c = 0; c < Callers; c++)
        {
            alone[c] = new float[Batch * extractor.FeatureDimension];
            extractor.Run(inputs[c], Batch, alone[c]);
        }

        // Half the callers await their turn, half block for it on threads of their own (a blocked thread-pool thread would
        // only delay the awaiting callers' continuations); all start together and call three times.
        float[][] together = Enumerable.Range(0, Callers).Select(_ => new float[Batch * extractor.FeatureDimension]).ToArray();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task[] calls = Enumerable.Range(0, Callers).Select(c => c % 2 == 0
            ? Task.Run(async () =>
            {
                await start.Task;
                for (int round = 0; round < 3; round++)
                {
                    await extractor.RunAsync(inputs[c], Batch, together[c]);
                }
            })
            : Task.Factory.StartNew(
                () =>
                {
                    start.Task.GetAwaiter().GetResult();
                    for (int round = 0; round < 3; round++)
                    {
                        extractor.Run(inputs[c], Batch, together[c]);
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default)).ToArray();
        start.SetResult();
        await Task.WhenAll(calls);

        Assert.Equal(1, extractor.PeakRunning);
        for (int c = 0; c < Callers; c++)
        {
            for (int k = 0; k < alone[c].Length; k++)
            {
                Assert.Equal(alone[c][k], together[c][k], 1e-5f);
            }
        }
    }

    [Fact]
    public void A_session_with_fewer_threads_than_cores_runs_callers_side_by_side()
    {
        using var all = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cpu });
        Assert.True(all.TakesTurns);
        if (Environment.ProcessorCount > 1)
        {
            using var one = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 });
            Assert.False(one.TakesTurns);
        }
    }

    [Fact]
    public async Task A_cancelled_caller_does_not_run()
    {
        using var extractor = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 });
        float[] input = new float[extractor.InputLength];
        float[] features = new float[extractor.FeatureDimension];
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await extractor.RunAsync(input, 1, features, cancellationToken: cancel.Token));
        Assert.Equal(0, extractor.PeakRunning);
        Assert.All(features, v => Assert.Equal(0f, v));
    }
}
