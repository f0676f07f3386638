using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Decoding;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Tests.Models;
using Xunit;

namespace SisomCluster.Inference.Tests.Extraction;

/// <summary>
/// The session runs one batch at a time, whoever calls: a worker's shards in flight share it, and each batch already spreads
/// over every intra-op thread (FeatureExtractor's remarks).
/// </summary>
public sealed class FeatureExtractorTurnTests
{
    [Fact]
    public async Task Concurrent_callers_take_turns_and_get_the_features_a_lone_caller_gets()
    {
        const int Callers = 6;
        const int Batch = 2;
        FashionMnist data = FashionMnist.Load(train: true, limit: Callers * Batch);
        using var extractor = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 });
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

        // Half the callers await their turn, half block for it, all started together and repeated.
        float[][] together = new float[Callers][];
        using var start = new ManualResetEventSlim();
        Task[] calls = Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            together[c] = new float[Batch * extractor.FeatureDimension];
            start.Wait();
            for (int round = 0; round < 3; round++)
            {
                if (c % 2 == 0)
                {
                    TimeSpan ran = await extractor.RunAsync(inputs[c], Batch, together[c]);
                    Assert.True(ran > TimeSpan.Zero);
                }
                else
                {
                    extractor.Run(inputs[c], Batch, together[c]);
                }
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(calls);

        Assert.Equal(1, extractor.PeakRunning);
        for (int c = 0; c < Callers; c++)
        {
            Assert.Equal(alone[c], together[c]);
        }
    }

    [Fact]
    public async Task A_caller_cancelled_while_waiting_for_its_turn_does_not_run()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 1);
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
