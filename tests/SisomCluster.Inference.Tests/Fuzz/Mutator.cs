using System.Text;

namespace SisomCluster.Inference.Tests.Fuzz;

/// <summary>
/// Seeded, deterministic mutations of a valid input: bit flips, byte inserts and deletes, huge numbers
/// pasted over digits, deep nesting pasted over brackets, and cuts. The same seed gives the same inputs on
/// every run and machine, so a failure names the iteration that reproduces it.
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly string[] HugeNumbers =
    [
        "9223372036854775807", "-9223372036854775808", "99999999999999999999999", "4294967296", "2147483647",
        "2147483648", "-1", "0", "4611686018427387904", "18446744073709551615", "1e308",
    ];

    private readonly Random _random = new(seed);

    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    /// <summary>One to four stacked mutations of <paramref name="seedInput"/>.</summary>
    public byte[] Mutate(byte[] seedInput)
    {
        byte[] data = seedInput;
        int rounds = 1 + _random.Next(4);
        for (int i = 0; i < rounds; i++)
        {
            data = _random.Next(7) switch
            {
                0 => FlipBit(data),
                1 => Insert(data),
                2 => Delete(data),
                3 => PasteNumber(data),
                4 => PasteNesting(data),
                5 => Overwrite(data),
                _ => data[.._random.Next(data.Length + 1)],
            };
        }

        return data;
    }

    private byte[] FlipBit(byte[] data)
    {
        if (data.Length == 0)
        {
            return data;
        }

        byte[] copy = (byte[])data.Clone();
        int at = _random.Next(copy.Length);
        copy[at] ^= (byte)(1 << _random.Next(8));
        return copy;
    }

    private byte[] Insert(byte[] data)
    {
        int at = _random.Next(data.Length + 1);
        var bytes = new byte[1 + _random.Next(8)];
        _random.NextBytes(bytes);
        return [.. data[..at], .. bytes, .. data[at..]];
    }

    private byte[] Delete(byte[] data)
    {
        if (data.Length == 0)
        {
            return data;
        }

        int at = _random.Next(data.Length);
        int count = Math.Min(data.Length - at, 1 + _random.Next(8));
        return [.. data[..at], .. data[(at + count)..]];
    }

    private byte[] Overwrite(byte[] data)
    {
        byte[] copy = (byte[])data.Clone();
        for (int i = 0; i < 1 + _random.Next(4) && copy.Length > 0; i++)
        {
            copy[_random.Next(copy.Length)] = (byte)_random.Next(256);
        }

        return copy;
    }

    /// <summary>Replaces a run of ASCII digits (a shape extent, a size field) with a huge or edge number.</summary>
    private byte[] PasteNumber(byte[] data)
    {
        List<int> starts = [];
        for (int i = 0; i < data.Length; i++)
        {
            if (char.IsAsciiDigit((char)data[i]) && (i == 0 || !char.IsAsciiDigit((char)data[i - 1])))
            {
                starts.Add(i);
            }
        }

        if (starts.Count == 0)
        {
            return Insert(data);
        }

        int start = starts[_random.Next(starts.Count)];
        int end = start;
        while (end < data.Length && char.IsAsciiDigit((char)data[end]))
        {
            end++;
        }

        byte[] number = Encoding.ASCII.GetBytes(HugeNumbers[_random.Next(HugeNumbers.Length)]);
        return [.. data[..start], .. number, .. data[end..]];
    }

    /// <summary>Pastes a run of opening brackets (up to 5000) where a bracket or brace was.</summary>
    private byte[] PasteNesting(byte[] data)
    {
        int at = Array.FindIndex(data, _random.Next(Math.Max(1, data.Length)), b => b is (byte)'(' or (byte)'[' or (byte)'{');
        at = at < 0 ? _random.Next(data.Length + 1) : at;
        char open = "([{"[_random.Next(3)];
        byte[] nesting = Encoding.ASCII.GetBytes(new string(open, 1 + _random.Next(5000)));
        return [.. data[..at], .. nesting, .. data[at..]];
    }
}
