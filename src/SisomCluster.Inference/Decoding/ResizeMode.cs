namespace SisomCluster.Inference.Decoding;

/// <summary>How an image of any aspect ratio is fitted to the model's input size.</summary>
public enum ResizeMode
{
    /// <summary>Scale uniformly so the image covers the input (the shorter side matches), then crop the centre. ML.NET's default.</summary>
    IsoCrop,

    /// <summary>Scale each axis independently to the input size; keeps all content, distorts the aspect ratio.</summary>
    Stretch,
}
