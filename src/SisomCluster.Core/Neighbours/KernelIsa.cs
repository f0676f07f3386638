using System.Runtime.Intrinsics;

namespace SisomCluster.Core.Neighbours;

/// <summary>
/// Which instruction set the float32 distance GEMM uses (ARCHITECTURE.md §9). Every choice gives the same neighbours
/// and bit-identical distances: the GEMM form only picks candidates, each kept candidate's distance is recomputed in
/// the difference form by the one <see cref="DistanceKernel"/>.
/// </summary>
public enum KernelIsa
{
    /// <summary>No GEMM: the difference form for every pair (what float64 always uses).</summary>
    Difference,

    /// <summary>128-bit vectors (Arm NEON, SSE): 6 × 8 register tile.</summary>
    Vector128,

    /// <summary>256-bit vectors (AVX2): 6 × 16 register tile.</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512): 8 × 32 register tile.</summary>
    Vector512,
}

/// <summary>Picks the kernel: the widest accelerated vectors, unless SISOM_KERNEL_ISA names one (difference, vector128, vector256, vector512).</summary>
public static class KernelSelection
{
    public const string EnvironmentVariable = "SISOM_KERNEL_ISA";

    /// <summary>The widest the hardware accelerates.</summary>
    public static KernelIsa Best =>
        Vector512.IsHardwareAccelerated ? KernelIsa.Vector512
        : Vector256.IsHardwareAccelerated ? KernelIsa.Vector256
        : Vector128.IsHardwareAccelerated ? KernelIsa.Vector128
        : KernelIsa.Difference;

    /// <summary>The default kernel of this process: SISOM_KERNEL_ISA if set, else <see cref="Best"/>.</summary>
    public static KernelIsa Current => FromEnvironment.Value;

    public static bool IsSupported(KernelIsa isa) => isa switch
    {
        KernelIsa.Vector512 => Vector512.IsHardwareAccelerated,
        KernelIsa.Vector256 => Vector256.IsHardwareAccelerated,
        KernelIsa.Vector128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>How the kernel in use is described in benchmark output, e.g. "AVX-512 (Vector512, 16 float lanes)".</summary>
    public static string Describe(KernelIsa isa) => isa switch
    {
        KernelIsa.Vector512 => "AVX-512 (Vector512, 16 float lanes, GEMM form + exact refinement)",
        KernelIsa.Vector256 => "AVX2 (Vector256, 8 float lanes, GEMM form + exact refinement)",
        KernelIsa.Vector128 => (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "NEON" : "SSE") + " (Vector128, 4 float lanes, GEMM form + exact refinement)",
        _ => $"difference form only (Vector<T>, {System.Numerics.Vector<float>.Count} float lanes)",
    };

    public static KernelIsa Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "difference" or "scalar" => KernelIsa.Difference,
        "vector128" or "neon" or "sse" => KernelIsa.Vector128,
        "vector256" or "avx2" => KernelIsa.Vector256,
        "vector512" or "avx512" or "avx-512" => KernelIsa.Vector512,
        _ => throw new ArgumentException($"{EnvironmentVariable}={text}: expected difference, vector128, vector256 or vector512."),
    };

    private static readonly Lazy<KernelIsa> FromEnvironment = new(() =>
    {
        string? text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return Best;
        }

        KernelIsa isa = Parse(text);
        return IsSupported(isa) ? isa : throw new PlatformNotSupportedException($"{EnvironmentVariable}={text}: not accelerated on this machine (best: {Best}).");
    });
}
