using SisomCluster.Core.Heads;
using SisomCluster.Core.States;
using Xunit;

namespace SisomCluster.Core.Tests.Heads;

/// <summary>The objective's gradient, the optimum's first-order condition, L-BFGS itself, and determinism.</summary>
public sealed class OptimizerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Analytic_gradient_matches_central_differences(bool standardize)
    {
        const int K = 3;
        const int D = 4;
        var blobs = GaussianBlobs.Create(seed: 11, rows: 12, classes: K, dimension: D, meanSpread: 0.8);
        double l2 = 0.3;
        FeatureScaling scaling = standardize ? FeatureScaling.Standardizing(blobs.Features, l2) : FeatureScaling.Identity(D);
        var objective = new SoftmaxObjective(scaling.Transform(blobs.Features), 12, D, blobs.Labels, K, l2, scaling.PenaltyWeights(), 1);

        var random = new Random(12);
        double[] theta = new double[objective.ParameterCount];
        for (int i = 0; i < theta.Length; i++)
        {
            theta[i] = random.NextDouble() - 0.5;
        }

        var analytic = new double[theta.Length];
        objective.Evaluate(theta, analytic);

        const double H = 1e-5;
        var scratch = new double[theta.Length];
        double errorSquared = 0;
        double normSquared = 0;
        for (int i = 0; i < theta.Length; i++)
        {
            double saved = theta[i];
            theta[i] = saved + H;
            double up = objective.Evaluate(theta, scratch);
            theta[i] = saved - H;
            double down = objective.Evaluate(theta, scratch);
            theta[i] = saved;
            double numeric = (up - down) / (2 * H);
            errorSquared += (numeric - analytic[i]) * (numeric - analytic[i]);
            normSquared += analytic[i] * analytic[i];
        }

        double relative = Math.Sqrt(errorSquared / normSquared);
        Assert.True(relative <= 1e-5, $"relative gradient error {relative}");
    }

    [Fact]
    public void The_raw_optimum_satisfies_the_first_order_condition()
    {
        // Without standardisation the optimiser's gradient is the raw gradient, so the documented
        // test |∇f| ≤ Tolerance · max(1, |∇f(0)|) can be checked from outside, on the returned head.
        var blobs = GaussianBlobs.Create(seed: 13, rows: 300, classes: 3, dimension: 5, meanSpread: 0.4, offset: 0);
        var options = new LogisticRegressionOptions { Standardize = false, Tolerance = 1e-10 };
        FittedHead fit = LogisticRegressionFitter.Fit(blobs.Features, blobs.Labels, 3, options);

        var gradient = new double[(3 * 5) + 3];
        var zero = new LinearHead(new double[3 * 5], new double[3], 3, 5);
        LogisticRegressionFitter.RawObjective(zero, blobs.Features, blobs.Labels, options.L2, gradient);
        double scale = Math.Max(1, Norm(gradient));
        LogisticRegressionFitter.RawObjective(fit.Head, blobs.Features, blobs.Labels, options.L2, gradient);

        Assert.True(fit.Converged);
        Assert.True(Norm(gradient) <= options.Tolerance * scale, $"|g| = {Norm(gradient)}, bound {options.Tolerance * scale}");
    }

    [Fact]
    public void The_standardised_optimum_is_stationary_in_raw_coordinates_too()
    {
        // In z-space the test is on ∂f/∂V; raw ∂f/∂W_kd = s_d ∂f/∂V_kd + μ_d ∂f/∂c_k, so the raw norm
        // is at most (max s + |μ| + 1) times the z-space one.
        var blobs = GaussianBlobs.Create(seed: 14, rows: 300, classes: 3, dimension: 5, meanSpread: 0.4);
        var options = new LogisticRegressionOptions { Tolerance = 1e-10 };
        FittedHead fit = LogisticRegressionFitter.Fit(blobs.Features, blobs.Labels, 3, options);
        FeatureScaling scaling = FeatureScaling.Standardizing(blobs.Features, options.L2);

        var gradient = new double[(3 * 5) + 3];
        LogisticRegressionFitter.RawObjective(fit.Head, blobs.Features, blobs.Labels, options.L2, gradient);
        double factor = scaling.Scale.Max() + Norm(scaling.Mean) + 1;

        Assert.True(fit.Converged);
        Assert.True(Norm(gradient) <= factor * fit.FinalGradientNorm + 1e-12, $"|g_raw| = {Norm(gradient)}, z-space {fit.FinalGradientNorm}");
        Assert.True(Norm(gradient) <= 1e-8, $"|g_raw| = {Norm(gradient)}");
    }

    [Fact]
    public void Lbfgs_finds_the_Rosenbrock_minimum()
    {
        // Non-convex, curved valley: exercises skipped curvature pairs and backtracking.
        double[] x = [-1.2, 1.0];
        LbfgsResult result = Lbfgs.Minimize(
            (p, g) =>
            {
                double a = 1 - p[0];
                double b = p[1] - (p[0] * p[0]);
                g[0] = (-2 * a) - (400 * p[0] * b);
                g[1] = 200 * b;
                return (a * a) + (100 * b * b);
            },
            x,
            history: 5,
            maxIterations: 200,
            tolerance: 1e-9);

        Assert.True(result.Converged, $"{result}");
        Assert.Equal(1.0, x[0], 1e-6);
        Assert.Equal(1.0, x[1], 1e-6);
    }

    [Fact]
    public void Fit_is_bit_identical_for_every_degree_of_parallelism_and_every_run()
    {
        // 1 000 rows give 8 row blocks, so 2 and -1 really split the work.
        var blobs = GaussianBlobs.Create(seed: 15, rows: 1000, classes: 5, dimension: 16, meanSpread: 0.4);
        FittedHead reference = LogisticRegressionFitter.Fit(blobs.Features, blobs.Labels, 5, new LogisticRegressionOptions { MaxDegreeOfParallelism = 1 });
        foreach (int degree in new[] { 1, 2, -1, -1 })
        {
            FittedHead fit = LogisticRegressionFitter.Fit(blobs.Features, blobs.Labels, 5, new LogisticRegressionOptions { MaxDegreeOfParallelism = degree });
            Assert.Equal(Bits(reference.Head.Weights), Bits(fit.Head.Weights));
            Assert.Equal(Bits(reference.Head.Bias), Bits(fit.Head.Bias));
            Assert.Equal(reference.Iterations, fit.Iterations);
            Assert.Equal(BitConverter.DoubleToInt64Bits(reference.FinalLoss), BitConverter.DoubleToInt64Bits(fit.FinalLoss));
        }
    }

    private static long[] Bits(double[] values) => Array.ConvertAll(values, BitConverter.DoubleToInt64Bits);

    private static double Norm(double[] values) => Math.Sqrt(values.Sum(v => v * v));
}
