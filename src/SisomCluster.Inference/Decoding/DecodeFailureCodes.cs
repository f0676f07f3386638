namespace SisomCluster.Inference.Decoding;

/// <summary>The stable database codes of <see cref="DecodeFailure"/>, in both directions.</summary>
public static class DecodeFailureCodes
{
    public const string Corrupt = "corrupt";
    public const string Truncated = "truncated";
    public const string TooLarge = "too_large";
    public const string UnsupportedFormat = "unsupported_format";
    public const string Empty = "empty";

    /// <summary>The code stored for <paramref name="failure"/>; spelled out rather than derived from the enum name so a rename cannot change stored data.</summary>
    public static string ToCode(this DecodeFailure failure) => failure switch
    {
        DecodeFailure.Corrupt => Corrupt,
        DecodeFailure.Truncated => Truncated,
        DecodeFailure.TooLarge => TooLarge,
        DecodeFailure.UnsupportedFormat => UnsupportedFormat,
        DecodeFailure.Empty => Empty,
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, "Unknown decode failure."),
    };

    /// <summary>Reads a stored code back; false for anything this version does not know.</summary>
    public static bool TryParse(string? code, out DecodeFailure failure)
    {
        switch (code)
        {
            case Corrupt:
                failure = DecodeFailure.Corrupt;
                return true;
            case Truncated:
                failure = DecodeFailure.Truncated;
                return true;
            case TooLarge:
                failure = DecodeFailure.TooLarge;
                return true;
            case UnsupportedFormat:
                failure = DecodeFailure.UnsupportedFormat;
                return true;
            case Empty:
                failure = DecodeFailure.Empty;
                return true;
            default:
                failure = default;
                return false;
        }
    }
}
