namespace SisomCluster.Contracts.Http;

/// <param name="OodSisom">Flagged out-of-distribution by the SISOM threshold of the run's context.</param>
/// <param name="OodKnn">Flagged by the KNN threshold (leave-one-out KNN scores of the reference items).</param>
/// <param name="OodEnergy">Flagged by the energy threshold (the reference items' energies).</param>
/// <param name="NoReference">The predicted class had no labeled reference: the ratio is undefined and the item is flagged.</param>
/// <param name="IsReference">The item is a labeled reference item, scored with itself left out of T; drift and histograms leave it out.</param>
public sealed record ItemFlagsResponse(bool OodSisom, bool OodSisome, bool OodKnn, bool OodEnergy, bool NoReference, bool IsReference);
