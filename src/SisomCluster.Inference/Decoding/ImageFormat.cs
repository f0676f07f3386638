namespace SisomCluster.Inference.Decoding;

/// <summary>The encoded formats <see cref="ImageDecoder"/> accepts, recognised by their signature bytes (not by file name).</summary>
public enum ImageFormat
{
    Jpeg,
    Png,
    WebP,
    Gif,
    Bmp,
}
