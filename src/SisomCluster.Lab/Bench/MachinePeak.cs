using System.Globalization;
using System.Numerics;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// This machine's FP32 peak: 2 FLOP per FMA × SIMD lanes × FMA units × cores × GHz, with where each factor came from.
/// </summary>
public sealed record MachinePeak(int Lanes, int FmaUnits, int Cores, double Ghz, string CpuModel, string GhzSource, string FmaSource)
{
    public double GflopsFp32 => 2.0 * Lanes * FmaUnits * Cores * Ghz;

    /// <summary>
    /// Lanes: of the widest accelerated vectors (Vector512: 16, what the GEMM kernel uses on AVX-512). Cores: Environment.ProcessorCount. GHz: /proc/cpuinfo
    /// "cpu MHz" (the nominal clock the hypervisor reports). FMA units: 2 on AMD Zen 1–4 and Intel
    /// Haswell and later (two FMA-capable ports), unless <paramref name="fmaUnits"/> says otherwise.
    /// </summary>
    public static MachinePeak Detect(int? fmaUnits = null, double? ghz = null)
    {
        string model = "unknown";
        double? mhz = null;
        if (File.Exists("/proc/cpuinfo"))
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                string[] parts = line.Split(':', 2);
                if (parts.Length != 2)
                {
                    continue;
                }

                string key = parts[0].Trim();
                if (key == "model name" && model == "unknown")
                {
                    model = parts[1].Trim();
                }
                else if (key == "cpu MHz" && mhz is null && double.TryParse(parts[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double m))
                {
                    mhz = m;
                }
            }
        }

        double clock = ghz ?? (mhz is { } v ? v / 1000.0 : 2.0);
        string ghzSource = ghz is not null ? "--ghz" : mhz is not null ? "/proc/cpuinfo cpu MHz" : "assumed 2.0 (no /proc/cpuinfo)";
        int units = fmaUnits ?? 2;
        string fmaSource = fmaUnits is not null ? "--fma-units" : "2 FMA pipes (AMD Zen, Intel Haswell+); override with --fma-units";
        // The widest vectors the CPU accelerates (the GEMM kernel uses Vector512 where it can), not Vector<float> (256-bit in .NET).
        int lanes = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 16 : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? 8 : 4;
        return new MachinePeak(lanes, units, Environment.ProcessorCount, clock, model, ghzSource, fmaSource);
    }
}
