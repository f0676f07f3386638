namespace SisomCluster.Contracts.Http;

/// <param name="OodSisom">Flagged out-of-distribution by the SISOM threshold of the run's context.</param>
/// <param name="NoReference">The predicted class had no labeled reference: the ratio is undefined and the item is flagged.</param>
public sealed record ItemFlagsResponse(bool OodSisom, bool OodSisome, bool NoReference);
