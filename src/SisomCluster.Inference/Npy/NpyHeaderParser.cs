using System.Globalization;
using System.Text;

namespace SisomCluster.Inference.Npy;

/// <summary>
/// Parses the header of a <c>.npy</c> file: a Python dict literal such as
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>. NumPy reads it with
/// <c>ast.literal_eval</c>, so key order, quoting and spacing vary between writers; this is a small
/// recursive-descent parser for the literal subset NumPy emits (dict, str, int, bool, None, tuple, list),
/// not a pattern match on NumPy's current formatting. The input is hostile until proven otherwise: the
/// text is at most <see cref="NpyHeader.MaxHeaderBytes"/> characters and nesting stops at
/// <see cref="MaxDepth"/> levels, so a header of <c>((((…</c> is a <see cref="FormatException"/>, never a
/// stack overflow (which no handler can catch).
/// </summary>
internal sealed class NpyHeaderParser
{
    /// <summary>Deepest nesting of dicts, tuples and lists accepted (NumPy's own headers use 2; structured dtypes a few more).</summary>
    public const int MaxDepth = 16;

    private readonly string _text;
    private int _position;
    private int _depth;

    private NpyHeaderParser(string text)
    {
        _text = text;
    }

    /// <summary>Parses the header text into a dictionary; values are string, long, bool, null, tuple (object?[]) or list (List&lt;object?&gt;).</summary>
    public static Dictionary<string, object?> ParseDictionary(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > NpyHeader.MaxHeaderBytes)
        {
            throw new FormatException($"the header is {text.Length} characters long; at most {NpyHeader.MaxHeaderBytes} are accepted");
        }

        var parser = new NpyHeaderParser(text);
        parser.SkipWhitespace();
        if (parser.Peek() != '{')
        {
            throw new FormatException("the header is not a Python dict literal");
        }

        object? value = parser.ParseValue();
        parser.SkipWhitespace();
        if (parser._position != text.Length)
        {
            throw new FormatException($"unexpected text after the header dict at offset {parser._position}");
        }

        return (Dictionary<string, object?>)value!;
    }

    private object? ParseValue()
    {
        SkipWhitespace();
        char c = Peek();
        switch (c)
        {
            case '{':
                return Nested(ParseDict);
            case '(':
                return Nested(() => ParseSequence('(', ')').ToArray());
            case '[':
                return Nested(() => ParseSequence('[', ']'));
            case '\'':
            case '"':
                return ParseString();
            default:
                if (c == '-' || char.IsAsciiDigit(c))
                {
                    return ParseInteger();
                }

                if (char.IsAsciiLetter(c))
                {
                    return ParseName();
                }

                throw new FormatException(c == '\0' ? "the header ends early" : $"unexpected '{c}' at offset {_position}");
        }
    }

    private object Nested(Func<object> parse)
    {
        if (++_depth > MaxDepth)
        {
            throw new FormatException($"the header nests deeper than {MaxDepth} levels at offset {_position}");
        }

        object value = parse();
        _depth--;
        return value;
    }

    private Dictionary<string, object?> ParseDict()
    {
        Expect('{');
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespace();
            if (TryConsume('}'))
            {
                return result;
            }

            SkipWhitespace();
            if (ParseValue() is not string key)
            {
                throw new FormatException("a header dict key is not a string");
            }

            SkipWhitespace();
            Expect(':');
            if (!result.TryAdd(key, ParseValue()))
            {
                throw new FormatException($"the header repeats the key '{key}'");
            }

            SkipWhitespace();
            if (!TryConsume(','))
            {
                SkipWhitespace();
                Expect('}');
                return result;
            }
        }
    }

    private List<object?> ParseSequence(char open, char close)
    {
        Expect(open);
        var items = new List<object?>();
        while (true)
        {
            SkipWhitespace();
            if (TryConsume(close))
            {
                return items;
            }

            items.Add(ParseValue());
            SkipWhitespace();
            if (!TryConsume(','))
            {
                SkipWhitespace();
                Expect(close);
                return items;
            }
        }
    }

    private string ParseString()
    {
        char quote = _text[_position++];
        var builder = new StringBuilder();
        while (_position < _text.Length)
        {
            char c = _text[_position++];
            if (c == quote)
            {
                return builder.ToString();
            }

            if (c == '\\' && _position < _text.Length)
            {
                // dtype strings never need escapes; keep the escaped character verbatim.
                c = _text[_position++];
            }

            builder.Append(c);
        }

        throw new FormatException("a string in the header is not terminated");
    }

    private long ParseInteger()
    {
        int start = _position;
        if (Peek() == '-')
        {
            _position++;
        }

        while (char.IsAsciiDigit(Peek()))
        {
            _position++;
        }

        string digits = _text[start.._position];

        // Python 2 NumPy wrote long integers as 3L.
        if (Peek() is 'L' or 'l')
        {
            _position++;
        }

        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            throw new FormatException($"'{digits}' in the header is not an integer");
        }

        return value;
    }

    private object? ParseName()
    {
        int start = _position;
        while (char.IsAsciiLetterOrDigit(Peek()) || Peek() == '_')
        {
            _position++;
        }

        string name = _text[start.._position];
        return name switch
        {
            "True" => true,
            "False" => false,
            "None" => null,
            _ => throw new FormatException($"unexpected name '{name}' in the header"),
        };
    }

    private void SkipWhitespace()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
        {
            _position++;
        }
    }

    private char Peek() => _position < _text.Length ? _text[_position] : '\0';

    private bool TryConsume(char c)
    {
        if (Peek() == c)
        {
            _position++;
            return true;
        }

        return false;
    }

    private void Expect(char c)
    {
        if (!TryConsume(c))
        {
            char found = Peek();
            throw new FormatException(found == '\0' ? $"the header ends early (expected '{c}')" : $"expected '{c}' at offset {_position}, found '{found}'");
        }
    }
}
