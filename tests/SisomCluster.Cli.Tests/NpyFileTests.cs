using System.Text;
using SisomCluster.Inference.Files;
using SisomCluster.Inference.Npy;
using Xunit;

namespace SisomCluster.Cli.Tests;

public sealed class NpyFileTests
{
    [Fact]
    public void Float32_matrix_round_trips_through_a_file()
    {
        using var directory = new TempDirectory();
        float[] values = [1.5f, -2.25f, 3e-8f, float.MaxValue, 0f, -0f];

        NpyFile.Write(directory.File("m.npy"), new NpyArray(values, 2, 3));
        NpyArray read = NpyFile.Read(directory.File("m.npy"));

        Assert.Equal(NpyDataType.Float32, read.DataType);
        Assert.Equal([2, 3], read.Shape);
        Assert.Equal(values, read.ToSingle());
        Assert.Equal(["m.npy"], directory.FileNames());
    }

    [Fact]
    public void Float32_vector_round_trips_with_a_one_tuple_shape()
    {
        using var stream = new MemoryStream();
        float[] values = [0.1f, 0.2f, 0.3f, 0.4f, 0.5f];

        NpyFile.Write(stream, new NpyArray(values, 5));
        string header = Encoding.Latin1.GetString(stream.ToArray(), 10, 60);
        stream.Position = 0;
        NpyArray read = NpyFile.Read(stream, "v.npy");

        Assert.Contains("'shape': (5,)", header, StringComparison.Ordinal);
        Assert.Equal([5], read.Shape);
        Assert.Equal(values, read.ToSingle());
    }

    [Fact]
    public void Float64_round_trips_without_rounding()
    {
        using var stream = new MemoryStream();
        double[] values = [Math.PI, 1e-300, -1.0 / 3, 123456789.123456789];

        NpyFile.Write(stream, new NpyArray(values, 2, 2));
        stream.Position = 0;
        NpyArray read = NpyFile.Read(stream, "d.npy");

        Assert.Equal(NpyDataType.Float64, read.DataType);
        Assert.Equal(values, read.ToDouble());
    }

    [Fact]
    public void Writer_output_is_byte_identical_to_numpy_save()
    {
        // np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)) writes a 1.0 header padded to 128 bytes.
        byte[] expected = RawNpy.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", RawNpy.Float32LittleEndian(0, 1, 2, 3, 4, 5));
        using var stream = new MemoryStream();

        NpyFile.Write(stream, new NpyArray(new float[] { 0, 1, 2, 3, 4, 5 }, 2, 3));

        Assert.Equal(128 + 24, expected.Length);
        Assert.Equal(expected, stream.ToArray());
    }

    [Fact]
    public void Writer_switches_to_version_2_when_the_header_outgrows_version_1()
    {
        // A 1-value array of rank 25 000: "(1, 1, ...)" needs more than the 65 535 header bytes of format 1.0.
        int[] shape = Enumerable.Repeat(1, 25_000).ToArray();
        using var stream = new MemoryStream();

        NpyFile.Write(stream, new NpyArray(new float[] { 42f }, shape));
        byte[] bytes = stream.ToArray();
        stream.Position = 0;

        Assert.Equal(2, bytes[6]);
        Assert.Equal(0, (bytes.Length - 4) % 64);

        // The reader's limits (64 KiB of header, 64 dimensions) refuse it with a reason instead of parsing 75 KB of shape.
        var e = Assert.Throws<InvalidDataException>(() => NpyFile.Read(stream, "wide.npy"));
        Assert.Contains("at most 65536 bytes are accepted", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_2_header_is_read()
    {
        byte[] bytes = RawNpy.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", RawNpy.Float32LittleEndian(1, 2, 3, 4), major: 2);

        NpyArray read = NpyFile.Read(new MemoryStream(bytes), "v2.npy");

        Assert.Equal([2, 2], read.Shape);
        Assert.Equal([1f, 2f, 3f, 4f], read.ToSingle());
    }

    [Fact]
    public void Version_3_header_is_read_as_utf8()
    {
        byte[] bytes = RawNpy.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", RawNpy.Float64LittleEndian(1, 2, 3), major: 3);

        NpyArray read = NpyFile.Read(new MemoryStream(bytes), "v3.npy");

        Assert.Equal([1d, 2d, 3d], read.ToDouble());
    }

    [Theory]
    [InlineData("{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f4\"}")]
    [InlineData("{'descr':'f4','fortran_order':False,'shape':(2L,)}")]
    [InlineData("{'descr': '=f4', 'fortran_order': False, 'shape': (2,),}")]
    [InlineData("{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }")]
    public void Header_is_parsed_as_a_dict_not_matched_as_text(string header)
    {
        byte[] bytes = RawNpy.Build(header, RawNpy.Float32LittleEndian(7, 8));

        NpyArray read = NpyFile.Read(new MemoryStream(bytes), "h.npy");

        Assert.Equal([2], read.Shape);
        Assert.Equal([7f, 8f], read.ToSingle());
    }

    [Fact]
    public void Scalar_and_empty_shapes_are_read()
    {
        NpyArray scalar = NpyFile.Read(new MemoryStream(RawNpy.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", RawNpy.Float64LittleEndian(4))), "s.npy");
        NpyArray empty = NpyFile.Read(new MemoryStream(RawNpy.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", [])), "e.npy");

        Assert.Equal(0, scalar.Rank);
        Assert.Equal([4d], scalar.ToDouble());
        Assert.Equal([0, 5], empty.Shape);
        Assert.Equal(0, empty.Length);
    }

    [Theory]
    [InlineData("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", "'<i8' (int64)")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "big-endian")]
    [InlineData("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", "'<f2' (float16)")]
    [InlineData("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,), }", "structured")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", "Fortran order")]
    [InlineData("{'descr': '<f4', 'shape': (2,), }", "no 'fortran_order'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "'extra'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", "not a tuple")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "invalid extent")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "unreadable header")]
    [InlineData("descr=<f4", "unreadable header")]
    public void Unsupported_or_malformed_headers_are_named(string header, string problem)
    {
        byte[] bytes = RawNpy.Build(header, new byte[16]);

        var e = Assert.Throws<InvalidDataException>(() => NpyFile.Read(new MemoryStream(bytes), "x.npy"));

        Assert.StartsWith("x.npy: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(40)]
    [InlineData(64 + 23)]
    public void Truncated_files_are_reported_as_truncated(int keep)
    {
        byte[] whole = RawNpy.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", RawNpy.Float32LittleEndian(0, 1, 2, 3, 4, 5));

        var e = Assert.Throws<InvalidDataException>(() => NpyFile.Read(new MemoryStream(whole[..keep]), "t.npy"));

        // 5 bytes is too short even to see the magic: still "truncated", never an index exception.
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_data_on_a_non_seekable_stream_is_reported()
    {
        byte[] whole = RawNpy.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", RawNpy.Float32LittleEndian(0, 1, 2, 3, 4, 5));
        using var pipe = new NonSeekableStream(whole[..^4]);

        var e = Assert.Throws<InvalidDataException>(() => NpyFile.Read(pipe, "p.npy"));

        Assert.Contains("needs 24 data bytes, the file holds 20", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_magic_and_unknown_versions_are_rejected()
    {
        byte[] good = RawNpy.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", RawNpy.Float32LittleEndian(1));
        byte[] badMagic = (byte[])good.Clone();
        badMagic[1] = (byte)'X';
        byte[] badVersion = (byte[])good.Clone();
        badVersion[6] = 4;

        var magic = Assert.Throws<InvalidDataException>(() => NpyFile.Read(new MemoryStream(badMagic), "m.npy"));
        var version = Assert.Throws<InvalidDataException>(() => NpyFile.Read(new MemoryStream(badVersion), "v.npy"));

        Assert.Contains("bad magic", magic.Message, StringComparison.Ordinal);
        Assert.Contains("version 4.0", version.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_write_leaves_no_file()
    {
        using var directory = new TempDirectory();
        using (AtomicFile file = AtomicFile.Create(directory.File("out.npy")))
        {
            file.Stream.WriteByte(1);

            // Disposed without Commit: the run failed part-way.
        }

        Assert.Empty(directory.FileNames());
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
