using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

public sealed class CsvReaderTests
{
    [Fact]
    public void Quoted_fields_hold_commas_quotes_and_line_breaks()
    {
        var reader = new CsvReader(new StringReader("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",,x\nlast"));

        AssertRecord(1, ["a", "b,c", "say \"hi\""], reader);
        AssertRecord(2, ["two\nlines", "", "x"], reader);
        AssertRecord(4, ["last"], reader);
        Assert.Null(reader.ReadRecord());
    }

    [Fact]
    public void An_unclosed_quote_names_the_line_it_opened_on()
    {
        var reader = new CsvReader(new StringReader("a,b\nc,\"open\nmore\n"));
        reader.ReadRecord();

        var error = Assert.Throws<FormatException>(() => reader.ReadRecord());

        Assert.StartsWith("line 2:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_after_a_closing_quote_is_an_error()
    {
        var reader = new CsvReader(new StringReader("\"a\"b,c\n"));

        Assert.Throws<FormatException>(() => reader.ReadRecord());
    }

    private static void AssertRecord(int expectedLine, string[] expectedFields, CsvReader reader)
    {
        (int line, List<string> fields) = reader.ReadRecord()!.Value;
        Assert.Equal(expectedLine, line);
        Assert.Equal(expectedFields, fields);
    }
}
