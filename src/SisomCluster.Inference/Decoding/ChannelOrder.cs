namespace SisomCluster.Inference.Decoding;

/// <summary>The channels of the model input, in plane order.</summary>
public enum ChannelOrder
{
    /// <summary>Three planes: red, green, blue.</summary>
    Rgb,

    /// <summary>Three planes: blue, green, red (Caffe-era models).</summary>
    Bgr,

    /// <summary>One plane: luminance 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as PIL's <c>convert('L')</c>, without its rounding).</summary>
    Grey,
}
