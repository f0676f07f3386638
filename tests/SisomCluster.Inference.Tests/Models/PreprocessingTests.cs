using Microsoft.ML.OnnxRuntime;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Decoding;
using SisomCluster.Inference.Models;
using Xunit;

namespace SisomCluster.Inference.Tests.Models;

/// <summary>Our decoder's normalisation for the default model reproduces ML.NET's ResNetPreprocess.onnx.</summary>
public sealed class PreprocessingTests
{
    [Fact]
    public void Default_model_normalisation_matches_mlnet_resnet_preprocess_onnx()
    {
        ModelPackage model = DefaultModel.Package;
        PixelNormalization ours = model.Normalization;
        Assert.Equal(ChannelOrder.Bgr, ours.ChannelOrder);

        // ML.NET feeds ResNetPreprocess.onnx raw RGB planes (0..255) of the resized image.
        PixelNormalization raw = ours with { ChannelOrder = ChannelOrder.Rgb, MeanImage = null, Scale = 1, Mean = null, Std = null };
        using var session = new InferenceSession(Path.Combine(DefaultModels.ResNet18SourceDirectory, "ResNetPreprocess.onnx"));
        FashionMnist data = FashionMnist.Load(train: true, limit: 3);
        var rgb = new float[raw.TensorLength];
        var expected = new float[raw.TensorLength];
        var actual = new float[ours.TensorLength];
        for (int i = 0; i < data.Count; i++)
        {
            byte[] png = TintedPng(data, i);
            Assert.True(new ImageDecoder(raw).Decode(png, rgb).Success);
            Assert.True(new ImageDecoder(ours).Decode(png, actual).Success);

            using OrtValue input = OrtValue.CreateTensorValueFromMemory(rgb, [1, 3, 224, 224]);
            using IDisposableReadOnlyCollection<OrtValue> output = session.Run(new RunOptions(), ["OriginalInput"], [input], ["PreprocessedInput"]);
            output[0].GetTensorDataAsSpan<float>().CopyTo(expected);
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.True(Math.Abs(expected[j] - actual[j]) <= 1e-4, $"image {i}, value {j}: ours {actual[j]}, ML.NET {expected[j]}");
            }
        }
    }

    /// <summary>A colour image (the three channels differ), so a channel-order mistake cannot pass.</summary>
    private static byte[] TintedPng(FashionMnist data, int index)
    {
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(28, 28, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque));
        ReadOnlySpan<byte> grey = data.Image(index);
        Span<byte> rgba = bitmap.GetPixelSpan();
        for (int p = 0; p < grey.Length; p++)
        {
            rgba[4 * p] = grey[p];
            rgba[(4 * p) + 1] = (byte)(grey[p] / 2);
            rgba[(4 * p) + 2] = (byte)(255 - grey[p]);
            rgba[(4 * p) + 3] = 255;
        }

        using SkiaSharp.SKData png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
