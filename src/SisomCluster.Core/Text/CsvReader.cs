using System.Globalization;
using System.Text;

namespace SisomCluster.Core.Text;

/// <summary>
/// The one CSV parser of the codebase (manifests, label files): RFC 4180 records — comma-separated fields, double-quoted
/// fields may hold commas, line breaks and doubled quotes; CRLF, LF or CR line ends; a leading byte-order mark is skipped.
/// Lenient where writers commonly are: a quote inside an unquoted field is literal, and spaces before an opening or after a
/// closing quote are ignored. Unquoted fields are returned as written (callers trim what they mean to).
/// <para>
/// It lives in Core because it is pure text over a <see cref="TextReader"/> (no files, no I/O of its own) and both the
/// Inference manifests and the Data label importer need it; neither of those may reference the other. Input is bounded:
/// a field over <see cref="MaxFieldLength"/> characters or a record over <see cref="MaxFields"/> fields is a
/// <see cref="CsvFormatException"/> naming the line, so a stray quote cannot swallow a whole file into memory. After a
/// <see cref="CsvFormatException"/> the bad record is dropped and reading resumes at the next line; with
/// <see cref="QuotedLineBreaks"/> off (files of one record per line, such as label files) an unclosed quote is an error
/// of its own line only, so every bad line is reported instead of the first swallowing the rest.
/// </para>
/// </summary>
public sealed class CsvReader
{
    /// <summary>Default longest field, in characters (ids and paths are far shorter).</summary>
    public const int DefaultMaxFieldLength = 64 * 1024;

    /// <summary>Default most fields in one record.</summary>
    public const int DefaultMaxFields = 1024;

    private readonly TextReader _reader;
    private readonly char[] _buffer = new char[8192];
    private readonly List<string> _fields = [];
    private readonly StringBuilder _field = new();
    private int _position;
    private int _length;
    private bool _end;
    private bool _started;
    private int _line = 1;
    private int _recordLine;
    private bool _inRecord;
    private bool _quoted;
    private bool _quoteSeen;
    private bool _afterQuote;
    private bool _skipLineFeed;
    private bool _skipToLineEnd;

    public CsvReader(TextReader reader, bool quotedLineBreaks = true, int maxFieldLength = DefaultMaxFieldLength, int maxFields = DefaultMaxFields)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFieldLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFields, 1);
        _reader = reader;
        QuotedLineBreaks = quotedLineBreaks;
        MaxFieldLength = maxFieldLength;
        MaxFields = maxFields;
    }

    /// <summary>Whether a quoted field may span lines (RFC 4180); when not, a line break ends every record.</summary>
    public bool QuotedLineBreaks { get; }

    public int MaxFieldLength { get; }

    public int MaxFields { get; }

    /// <summary>The next record, or null at the end. Broken quoting or a limit exceeded throws <see cref="CsvFormatException"/>.</summary>
    public CsvRecord? ReadRecord()
    {
        while (true)
        {
            if (Drain(out CsvRecord? record))
            {
                return record;
            }

            Filled(_reader.Read(_buffer, 0, _buffer.Length));
        }
    }

    /// <summary>The next record, or null at the end, reading the underlying reader asynchronously (a request body).</summary>
    public async ValueTask<CsvRecord?> ReadRecordAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (Drain(out CsvRecord? record))
            {
                return record;
            }

            Filled(await _reader.ReadAsync(_buffer.AsMemory(), cancellationToken).ConfigureAwait(false));
        }
    }

    private void Filled(int count)
    {
        _position = 0;
        _length = count;
        _end = count == 0;
    }

    /// <summary>Consumes buffered input; true with a record (or null at the end) when one is complete, false when it needs more.</summary>
    private bool Drain(out CsvRecord? record)
    {
        record = null;
        while (true)
        {
            int c;
            if (_position < _length)
            {
                c = _buffer[_position++];
            }
            else if (_end)
            {
                c = -1;
            }
            else
            {
                return false;
            }

            if (!_started)
            {
                _started = true;
                if (c == '\uFEFF')
                {
                    continue;
                }
            }

            if (_skipLineFeed)
            {
                _skipLineFeed = false;
                if (c == '\n')
                {
                    continue;
                }
            }

            if (_skipToLineEnd)
            {
                // The rest of a line whose record failed.
                if (c is '\n' or '\r')
                {
                    _skipToLineEnd = false;
                    _skipLineFeed = c == '\r';
                    _line++;
                }

                if (c >= 0)
                {
                    continue;
                }

                _skipToLineEnd = false;
            }

            if (!_inRecord)
            {
                if (c < 0)
                {
                    return true;
                }

                _inRecord = true;
                _recordLine = _line;
            }

            if (Step(c))
            {
                record = new CsvRecord(_recordLine, [.. _fields]);
                _fields.Clear();
                _inRecord = false;
                return true;
            }
        }
    }

    /// <summary>Takes one character (−1 at the end); true when it ended the record.</summary>
    private bool Step(int c)
    {
        if (_quoted)
        {
            if (_quoteSeen)
            {
                _quoteSeen = false;
                if (c == '"')
                {
                    Append('"');
                    return false;
                }

                _quoted = false;
                _afterQuote = true;

                // The character after the closing quote is read as outside the field.
            }
            else if (c < 0)
            {
                throw Fail(c, "a quoted field is not closed before the end of the file");
            }
            else if (!QuotedLineBreaks && c is '\n' or '\r')
            {
                throw Fail(c, "a quoted field is not closed on its line");
            }
            else if (c == '"')
            {
                _quoteSeen = true;
                return false;
            }
            else
            {
                _line += c == '\n' ? 1 : 0;
                Append((char)c);
                return false;
            }
        }

        if (c is < 0 or '\n' or '\r' or ',')
        {
            _fields.Add(_field.ToString());
            _field.Clear();
            _afterQuote = false;
            if (_fields.Count > MaxFields)
            {
                throw Fail(c, string.Create(CultureInfo.InvariantCulture, $"more than {MaxFields} fields"));
            }

            if (c == ',')
            {
                return false;
            }

            _skipLineFeed = c == '\r';
            _line += c < 0 ? 0 : 1;
            return true;
        }

        if (_afterQuote)
        {
            if (c == ' ')
            {
                return false;
            }

            throw Fail(c, $"unexpected '{(char)c}' after a closing quote (a quote inside a field is written \"\")");
        }

        if (c == '"' && IsBlank(_field))
        {
            _field.Clear();
            _quoted = true;
            return false;
        }

        // A quote inside an unquoted field is taken literally, as most writers intend it.
        Append((char)c);
        return false;
    }

    private void Append(char c)
    {
        if (_field.Length >= MaxFieldLength)
        {
            throw Fail(0, string.Create(CultureInfo.InvariantCulture, $"a field is longer than {MaxFieldLength} characters (an unclosed quote?)"));
        }

        _field.Append(c);
    }

    /// <summary>Drops the record being read and arranges for reading to resume at the next line; <paramref name="c"/> is the character that failed it.</summary>
    private CsvFormatException Fail(int c, string reason)
    {
        int line = _recordLine;
        _fields.Clear();
        _field.Clear();
        _inRecord = false;
        _quoted = false;
        _quoteSeen = false;
        _afterQuote = false;
        if (c is '\n' or '\r')
        {
            _skipLineFeed = c == '\r';
            _line++;
        }
        else if (c >= 0)
        {
            _skipToLineEnd = true;
        }

        return new CsvFormatException(line, reason);
    }

    private static bool IsBlank(StringBuilder text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != ' ')
            {
                return false;
            }
        }

        return true;
    }
}
