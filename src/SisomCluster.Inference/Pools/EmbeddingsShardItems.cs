using System.Collections;
using System.Globalization;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// The items of one listed stored-embeddings shard (<see cref="ListedShard.Items"/>): ids and their rows, each
/// <see cref="PoolItemInfo"/> (uri <c>&lt;npy&gt;#&lt;row&gt;</c>, the form <see cref="EmbeddingsPoolSource.ReadOneAsync"/>
/// reads) made when it is asked for, so that a listing nobody registers allocates no uri per item.
/// </summary>
internal sealed class EmbeddingsShardItems(string npyPath, string[] ids, long[] rows) : IReadOnlyList<PoolItemInfo>
{
    public int Count => ids.Length;

    public PoolItemInfo this[int index] => new(ids[index], string.Create(CultureInfo.InvariantCulture, $"{npyPath}#{rows[index]}"));

    public IEnumerator<PoolItemInfo> GetEnumerator()
    {
        for (int i = 0; i < ids.Length; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
