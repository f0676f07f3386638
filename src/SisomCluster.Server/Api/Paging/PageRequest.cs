using System.Buffers.Text;
using System.Text;

using SisomCluster.Contracts.Http;

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

    public static bool TryParse(string? pageSize, string? pageToken, out PageRequest page, out IResult? problem)
    {
        page = default;
        if (!ApiQuery.TryInt(pageSize, "page_size", 1, MaxSize, DefaultSize, out int size, out problem))
        {
            return false;
        }

        string? after = null;
        if (!string.IsNullOrEmpty(pageToken))
        {
            after = Decode(pageToken);
            if (after is null)
            {
                problem = InvalidToken();
                return false;
            }
        }

        page = new PageRequest(size, after);
        return true;
    }

    /// <returns>The token's text, or null when it is not base64url (the "Try" decoder throws on bad characters).</returns>
    private static string? Decode(string token)
    {
        if (token.Length > 1024)
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            return null;
        }
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
