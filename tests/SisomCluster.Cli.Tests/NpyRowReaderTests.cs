using SisomCluster.Inference.Npy;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary><see cref="NpyRowReader"/>: the block reader <c>offline score</c> streams its queries through.</summary>
public sealed class NpyRowReaderTests
{
    [Fact]
    public void Rows_come_in_whole_blocks_until_the_file_ends()
    {
        using var directory = new TempDirectory();
        float[] values = Enumerable.Range(0, 18).Select(i => i * 0.5f).ToArray();
        NpyFile.Write(directory.File("m.npy"), new NpyArray(values, 6, 3));
        using NpyRowReader reader = NpyRowReader.Open(directory.File("m.npy"));
        Assert.Equal([6, 3], reader.Shape);

        // A buffer of 13 values holds 4 whole rows: 4, then the last 2, then nothing.
        var buffer = new float[13];
        var read = new List<float>();
        var blocks = new List<int>();
        int rows;
        while ((rows = reader.Read(buffer, out NpyNonFinite? bad)) > 0)
        {
            Assert.Null(bad);
            blocks.Add(rows);
            read.AddRange(buffer[..(rows * 3)]);
        }

        Assert.Equal([4, 2], blocks);
        Assert.Equal(values, read);
        Assert.Equal(6, reader.Position);
    }

    [Fact]
    public void Float64_rows_are_narrowed_and_the_first_non_finite_value_is_named_by_its_file_row()
    {
        using var directory = new TempDirectory();
        double[] values = Enumerable.Range(0, 18).Select(i => (i * 0.1) + 1e-12).ToArray();
        values[(5 * 3) + 2] = double.NaN;
        values[(5 * 3) + 0] = 7.25;
        NpyFile.Write(directory.File("m.npy"), new NpyArray(values, 6, 3));
        using NpyRowReader reader = NpyRowReader.Open(directory.File("m.npy"));
        var buffer = new float[9];

        Assert.Equal(3, reader.Read(buffer, out NpyNonFinite? first));
        Assert.Null(first);
        Assert.Equal(values[..9].Select(v => (float)v), buffer);

        Assert.Equal(3, reader.Read(buffer, out NpyNonFinite? second));
        Assert.Equal(new NpyNonFinite(5, 2, double.NaN), second);
        Assert.Equal(7.25f, buffer[6]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_block_of_more_values_than_one_read_chunk_is_read_whole_and_its_bad_value_found(bool wide)
    {
        // 1 100 rows × 1 000 columns = 1.1 × 10⁶ values, past the 2²⁰ values read at a time.
        using var directory = new TempDirectory();
        const int Rows = 1_100, Columns = 1_000;
        float[] values = Enumerable.Range(0, Rows * Columns).Select(i => (i % 9973) * 0.25f).ToArray();
        values[(1_060 * Columns) + 17] = float.NegativeInfinity;
        NpyFile.Write(directory.File("m.npy"), wide ? new NpyArray(Array.ConvertAll(values, v => (double)v), Rows, Columns) : new NpyArray(values, Rows, Columns));
        using NpyRowReader reader = NpyRowReader.Open(directory.File("m.npy"));
        var buffer = new float[Rows * Columns];

        Assert.Equal(Rows, reader.Read(buffer, out NpyNonFinite? bad));

        Assert.Equal(new NpyNonFinite(1_060, 17, double.NegativeInfinity), bad);
        Assert.Equal(values, buffer);
        Assert.Equal(0, reader.Read(buffer, out _));
    }

    [Fact]
    public void A_file_shorter_than_its_header_says_fails_when_the_missing_rows_are_reached()
    {
        byte[] whole = RawNpy.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", RawNpy.Float32LittleEndian(0, 1, 2, 3, 4, 5));
        using NpyRowReader reader = NpyRowReader.Open(new PipeStream(whole[..^4]), "p.npy");

        var e = Assert.Throws<InvalidDataException>(() => reader.Read(new float[6], out _));

        Assert.Contains("needs 24 data bytes, the file holds 20", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_buffer_smaller_than_a_row_is_an_error_not_the_end_of_the_file()
    {
        byte[] whole = RawNpy.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", RawNpy.Float32LittleEndian(0, 1, 2, 3, 4, 5));
        using NpyRowReader reader = NpyRowReader.Open(new MemoryStream(whole), "m.npy");

        Assert.Throws<ArgumentException>(() => reader.Read(new float[2], out _));
    }

    private sealed class PipeStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
