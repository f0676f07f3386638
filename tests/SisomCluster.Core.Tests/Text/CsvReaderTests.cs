using SisomCluster.Core.Text;
using Xunit;

namespace SisomCluster.Core.Tests.Text;

public sealed class CsvReaderTests
{
    [Fact]
    public void Quoted_fields_hold_commas_quotes_and_line_breaks()
    {
        var reader = new CsvReader(new StringReader("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",,x\nlast"));

        AssertRecord(1, ["a", "b,c", "say \"hi\""], reader.ReadRecord());
        AssertRecord(2, ["two\nlines", "", "x"], reader.ReadRecord());
        AssertRecord(4, ["last"], reader.ReadRecord());
        Assert.Null(reader.ReadRecord());
    }

    [Fact]
    public async Task Async_reading_across_small_buffers_gives_the_same_records()
    {
        // A reader that hands out one character per call makes every state of the parser span a refill.
        const string Text = "\uFEFFid,label\r\n\"x,\"\"y\"\"\", 3 \r\n\r\n\"multi\r\nline\",4\rz,5";
        var reader = new CsvReader(new OneCharReader(Text));

        AssertRecord(1, ["id", "label"], await reader.ReadRecordAsync());
        AssertRecord(2, ["x,\"y\"", " 3 "], await reader.ReadRecordAsync());
        Assert.True((await reader.ReadRecordAsync())!.IsBlank);
        AssertRecord(4, ["multi\r\nline", "4"], await reader.ReadRecordAsync());
        AssertRecord(6, ["z", "5"], await reader.ReadRecordAsync());
        Assert.Null(await reader.ReadRecordAsync());
    }

    [Fact]
    public void Spaces_around_a_quoted_field_are_ignored()
    {
        var reader = new CsvReader(new StringReader("  \"a, b\"  ,c"));

        AssertRecord(1, ["a, b", "c"], reader.ReadRecord());
    }

    [Fact]
    public void An_unclosed_quote_names_the_line_it_opened_on()
    {
        var reader = new CsvReader(new StringReader("a,b\nc,\"open\nmore\n"));
        reader.ReadRecord();

        var error = Assert.Throws<CsvFormatException>(() => reader.ReadRecord());

        Assert.StartsWith("line 2:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_after_a_closing_quote_is_an_error()
    {
        var reader = new CsvReader(new StringReader("\"a\"b,c\n"));

        Assert.Throws<CsvFormatException>(() => reader.ReadRecord());
    }

    [Fact]
    public void Without_quoted_line_breaks_each_bad_line_is_reported_and_reading_goes_on()
    {
        var reader = new CsvReader(new StringReader("a,1\n\"b,2\nc,3\n\"d\"x,4\r\ne,5"), quotedLineBreaks: false);

        AssertRecord(1, ["a", "1"], reader.ReadRecord());
        var open = Assert.Throws<CsvFormatException>(() => reader.ReadRecord());
        AssertRecord(3, ["c", "3"], reader.ReadRecord());
        var after = Assert.Throws<CsvFormatException>(() => reader.ReadRecord());
        AssertRecord(5, ["e", "5"], reader.ReadRecord());
        Assert.Null(reader.ReadRecord());

        Assert.Equal((2, "line 2: a quoted field is not closed on its line"), (open.Line, open.Message));
        Assert.Equal(4, after.Line);
    }

    [Fact]
    public void A_field_over_the_limit_is_refused_naming_its_line()
    {
        // An unclosed quote on line 3 would otherwise read the rest of the file into one field.
        var reader = new CsvReader(new StringReader("a\nb\n\"" + new string('x', 100) + "\n"), maxFieldLength: 50);
        reader.ReadRecord();
        reader.ReadRecord();

        var error = Assert.Throws<CsvFormatException>(() => reader.ReadRecord());

        Assert.Equal("line 3: a field is longer than 50 characters (an unclosed quote?)", error.Message);
    }

    [Fact]
    public void A_record_over_the_field_limit_is_refused_naming_its_line()
    {
        var reader = new CsvReader(new StringReader("a,b,c\na,b,c,d\n"), maxFields: 3);
        AssertRecord(1, ["a", "b", "c"], reader.ReadRecord());

        var error = Assert.Throws<CsvFormatException>(() => reader.ReadRecord());

        Assert.Equal("line 2: more than 3 fields", error.Message);
    }

    private static void AssertRecord(int expectedLine, string[] expectedFields, CsvRecord? record)
    {
        Assert.NotNull(record);
        Assert.Equal(expectedLine, record.Line);
        Assert.Equal(expectedFields, record.Fields);
    }

    private sealed class OneCharReader(string text) : TextReader
    {
        private int _position;

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        public override int Read(Span<char> buffer)
        {
            if (_position >= text.Length || buffer.Length == 0)
            {
                return 0;
            }

            buffer[0] = text[_position++];
            return 1;
        }

        public override ValueTask<int> ReadAsync(Memory<char> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));
    }
}
