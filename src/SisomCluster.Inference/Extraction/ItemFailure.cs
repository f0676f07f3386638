using SisomCluster.Inference.Decoding;

namespace SisomCluster.Inference.Extraction;

/// <summary>An item that produced no features, with its typed reason (an <c>item_errors</c> row later).</summary>
public sealed record ItemFailure(string Id, DecodeFailure Reason, string Detail)
{
    public string Code => Reason.ToCode();
}
