// The GPU parity check of scripts/gpu_check.sh: on 1e5 paths of the Student-t sample market,
// the hedged option book and a scenario using every primitive, the GPU's losses against the
// CPU's path by path, and the raw 32-bit cuRAND words against the host mirror. Prints one JSON
// object; exits 1 when a check fails, 3 when no GPU is usable. With --rng sobol the diffusion is
// quasi-random (cuRAND's Sobol' device API against the host mirror) and the raw-word check also
// covers the Sobol' words of the model's dimensions.
//
//   gpu_parity [--paths N] [--seed S] [--rng philox|sobol]
#include <cstdio>
#include <string>
#include <vector>

#include "host/app/arg_parsing.hpp"
#include "kernels/gpu_engine.hpp"
#include "kernels/philox.cuh"
#include "kernels/sobol.cuh"
#include "tests/all_features.hpp"
#include "tests/gpu_parity.hpp"

using namespace chipshock;

int main(int argc, char** argv) {
  std::uint64_t paths = 100000, seed = 2026;
  RngKind rng = RngKind::kPhilox;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a], v = argv[a + 1];
    if (k == "--paths") paths = parse_paths(v);
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--rng" && (v == "philox" || v == "sobol"))
      rng = v == "sobol" ? RngKind::kSobol : RngKind::kPhilox;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const GpuDeviceInfo info = probe_gpu(0);
    if (!info.usable) {
      std::fprintf(stderr, "gpu_parity: no usable CUDA device: %s\n", info.reason.c_str());
      return 3;
    }
    // Raw words: 1000 paths x 64 curand() outputs in each of the three streams.
    std::uint64_t word_mismatches = 0, words = 0;
    const int n_paths = 1000, per_path = 64;
    std::vector<std::uint32_t> w(static_cast<std::size_t>(n_paths) * per_path);
    for (const RngStream s : {RngStream::kDiffusion, RngStream::kMixing, RngStream::kEvents}) {
      gpu_curand_words(seed, 0, n_paths, stream_offset(s), per_path, w.data());
      for (int p = 0; p < n_paths; ++p) {
        CurandPhiloxMirror mirror(seed, static_cast<std::uint64_t>(p), stream_offset(s));
        for (int k = 0; k < per_path; ++k, ++words)
          word_mismatches += mirror.next() != w[static_cast<std::size_t>(p) * per_path + k];
      }
    }
    testing::TempDir dir;
    const testing::TestRun t = testing::all_features_run(dir, 10, 1, true, rng);
    if (rng == RngKind::kSobol) {  // the model's 160 dimensions, 1000 points each
      const ModelView m = t.spec->model();
      const int dims = m.qmc_assets * m.bridge_steps, points = 1000;
      std::vector<std::uint32_t> q(static_cast<std::size_t>(dims) * points);
      gpu_curand_sobol(m.sobol_directions, m.sobol_scramble, dims, 0, points, q.data());
      for (int d = 0; d < dims; ++d)
        for (int p = 0; p < points; ++p, ++words)
          word_mismatches += sobol32_word(m.sobol_directions + 32L * d, m.sobol_scramble[d],
                                          static_cast<std::uint32_t>(p)) !=
                             q[static_cast<std::size_t>(d) * points + p];
    }
    GpuBackend gpu(0);
    const testing::ParityResult r = testing::gpu_cpu_parity(gpu, *t.spec, seed, paths);
    const bool ok = word_mismatches == 0 && r.max_rel_diff <= 1e-5 && r.max_rel_diff_simd <= 1e-5;
    std::printf(
        "{\"device\": \"%s\", \"rng\": \"%s\", \"kernel\": \"%s\", \"paths\": %llu, "
        "\"max_rel_diff\": %.3g, "
        "\"max_rel_diff_vs_simd\": %.3g, \"max_abs_diff_over_gross\": %.3g, \"worst_path\": %llu, "
        "\"worst_gpu\": %.6f, \"worst_cpu\": %.6f, \"curand_words\": %llu, "
        "\"curand_word_mismatches\": %llu, \"pass\": %s}\n",
        info.name.c_str(), rng_name(rng), gpu.engine().kernel_name().c_str(),
        static_cast<unsigned long long>(r.paths), r.max_rel_diff, r.max_rel_diff_simd,
        r.max_abs_diff_over_gross, static_cast<unsigned long long>(r.worst_path), r.worst_gpu,
        r.worst_cpu, static_cast<unsigned long long>(words),
        static_cast<unsigned long long>(word_mismatches), ok ? "true" : "false");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_parity: %s\n", e.what());
    return 2;
  }
}
