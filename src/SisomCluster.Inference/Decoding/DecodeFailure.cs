namespace SisomCluster.Inference.Decoding;

/// <summary>
/// Why an image could not be turned into model input. Each value has a stable lowercase code
/// (<see cref="DecodeFailureCodes.ToCode"/>) that is stored in <c>item_errors.reason</c>: never
/// rename a code, only add new ones.
/// </summary>
public enum DecodeFailure
{
    /// <summary><c>corrupt</c>: a known signature, but the header or the data is invalid.</summary>
    Corrupt,

    /// <summary><c>truncated</c>: the data ends before the image does.</summary>
    Truncated,

    /// <summary><c>too_large</c>: more bytes or more pixels than <see cref="DecodeLimits"/> allows (decompression bombs land here).</summary>
    TooLarge,

    /// <summary><c>unsupported_format</c>: not JPEG, PNG, WebP, GIF or BMP (or a variant the decoder does not implement).</summary>
    UnsupportedFormat,

    /// <summary><c>empty</c>: zero bytes.</summary>
    Empty,
}
