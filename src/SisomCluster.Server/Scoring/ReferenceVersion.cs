using System.Security.Cryptography;
using System.Text;

namespace SisomCluster.Server.Scoring;

/// <summary>The reference-set version: SHA-256 of the sorted (item id, label) pairs (ARCHITECTURE.md §4).</summary>
public static class ReferenceVersion
{
    public static string Of(IEnumerable<(string ItemId, int Label)> labeled)
    {
        ArgumentNullException.ThrowIfNull(labeled);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((string id, int label) in labeled.OrderBy(l => l.ItemId, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(id));
            sha.AppendData([0]);
            sha.AppendData(Encoding.UTF8.GetBytes(label.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            sha.AppendData([(byte)'\n']);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
