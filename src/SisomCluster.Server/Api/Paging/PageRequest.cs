using System.Buffers.Text;
using System.Text;

namespace SisomCluster.Server.Api.Paging;

/// <summary>
/// <c>?page_size=&amp;page_token=</c> of every list. The size must lie in 1..<see cref="MaxSize"/>: a larger one is a 400,
/// not silently clamped, so a client that asked for 10⁹ rows learns it gets at most 1000 at a time. The token is
/// opaque (base64url of the last row's sort key) and keyset paging keeps pages stable while rows are added.
/// </summary>
internal readonly record struct PageRequest(int Size, string? After)
{
    public const int DefaultSize = 100;

    public const int MaxSize = 1000;

    public static bool TryParse(int? pageSize, string? pageToken, out PageRequest page, out IResult? problem)
    {
        page = default;
        problem = null;
        int size = pageSize ?? DefaultSize;
        if (size is < 1 or > MaxSize)
        {
            problem = ApiProblems.BadRequest("page_size", $"must be between 1 and {MaxSize}, got {size}.");
            return false;
        }

        string? after = null;
        if (!string.IsNullOrEmpty(pageToken))
        {
            byte[] bytes = new byte[Base64Url.GetMaxDecodedLength(pageToken.Length)];
            if (pageToken.Length > 1024 || !Base64Url.TryDecodeFromChars(pageToken, bytes, out int written))
            {
                problem = InvalidToken();
                return false;
            }

            after = Encoding.UTF8.GetString(bytes, 0, written);
        }

        page = new PageRequest(size, after);
        return true;
    }

    public static IResult InvalidToken() => ApiProblems.BadRequest("page_token", "not a token this list issued; pass next_page_token unchanged.");

    /// <summary>The page of <paramref name="rows"/> (fetched with <see cref="Size"/> + 1 to know whether more follow).</summary>
    public Page<T> ToPage<T>(IReadOnlyList<T> rows, Func<T, string> key)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(key);
        if (rows.Count <= Size)
        {
            return new Page<T>(rows, null);
        }

        List<T> items = [.. rows.Take(Size)];
        return new Page<T>(items, Base64Url.EncodeToString(Encoding.UTF8.GetBytes(key(items[^1]))));
    }
}
