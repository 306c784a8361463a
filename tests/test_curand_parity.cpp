// The host Philox mirror against cuRAND's own code (compiled for the host by nvcc): the same
// 32-bit words bit for bit, and the same normals to float rounding. The Sobol' mirror against
// cuRAND's scrambled Sobol32 host generator and its device API compiled for the host, bit for bit.
#include <catch2/catch.hpp>
#include <cmath>
#include <tuple>
#include <vector>

#include "curand_host_reference.hpp"
#include "kernels/box_muller.cuh"
#include "host/qmc/sobol_tables.hpp"
#include "kernels/philox.cuh"
#include "kernels/sobol.cuh"
#include "kernels/student_t.cuh"

using namespace chipshock;

namespace {

struct Start {
  std::uint64_t seed, subsequence, offset;
};

const Start kStarts[] = {
    {0, 0, 0},
    {7, 123, 0},
    {0xDEADBEEFCAFEF00Dull, 0xFFFFFFFFFFFFFFFFull, 0},
    {42, 1ull << 32, 5},
    {42, 99, 3},
    {1, 2, stream_offset(RngStream::kMixing)},
    {1, 2, stream_offset(RngStream::kEvents) + 6},
    {3, 4, 0xFFFFFFFFFFFFFFF0ull},  // the block counter's high word carries
};

}  // namespace

TEST_CASE("curand() words equal the mirror's bit for bit", "[curand]") {
  for (const Start& s : kStarts) {
    CAPTURE(s.seed, s.subsequence, s.offset);
    std::vector<std::uint32_t> ref(103);
    testing::curand_words(s.seed, s.subsequence, s.offset, 103, ref.data());
    CurandPhiloxMirror mirror(s.seed, s.subsequence, s.offset);
    for (std::uint32_t w : ref) REQUIRE(mirror.next() == w);
  }
}

TEST_CASE("curand4() words equal the mirror's bit for bit, aligned or not", "[curand]") {
  for (const Start& s : kStarts) {
    CAPTURE(s.seed, s.subsequence, s.offset);
    std::vector<std::uint32_t> ref(4 * 25);
    testing::curand_words4(s.seed, s.subsequence, s.offset, 25, ref.data());
    CurandPhiloxMirror mirror(s.seed, s.subsequence, s.offset);
    for (int k = 0; k < 25; ++k) {
      const Word4<std::uint32_t> q = mirror.next4();
      REQUIRE(q.x == ref[4 * k]);
      REQUIRE(q.y == ref[4 * k + 1]);
      REQUIRE(q.z == ref[4 * k + 2]);
      REQUIRE(q.w == ref[4 * k + 3]);
    }
  }
}

TEST_CASE("curand_normal4() equals the shared Box-Muller on the path's blocks", "[curand]") {
  // The engine's layout: path i's diffusion stream is curand_init(seed, i, 0) + curand_normal4.
  double worst = 0;
  for (std::uint64_t path : {0ull, 1ull, 977ull, 123456789012ull}) {
    std::vector<float> ref(4 * 500);
    testing::curand_normals4(2026, path, 0, 500, ref.data());
    PhiloxBlockStream blocks(2026, path, 0);
    for (int k = 0; k < 500; ++k) {
      float z[4];
      normal4_from_block(blocks.next4(), z);
      for (int c = 0; c < 4; ++c)
        worst = std::max(worst, static_cast<double>(std::fabs(z[c] - ref[4 * k + c])));
    }
  }
  CAPTURE(worst);
  // cuRAND forms u = x * 2^-32 + 2^-33 without FMA on the host; the mirror fuses it as nvcc
  // does on the device. That, and nothing else, may move a normal by an ulp or so.
  CHECK(worst < 2e-6);
}

TEST_CASE("Sobol' words equal cuRAND's scrambled Sobol32 host generator bit for bit",
          "[curand][qmc]") {
  const SobolTables t = curand_sobol_tables();
  // The host generator with D dimensions, skipping `offset` points: dimension-major output.
  for (const auto& [dims, offset, points] :
       {std::tuple<int, std::uint64_t, int>{1, 0, 4096}, {37, 0, 600}, {160, 12345, 300},
        {7, 4294967000ull, 200}}) {
    CAPTURE(dims, offset, points);
    std::vector<std::uint32_t> ref(static_cast<std::size_t>(dims) * points);
    testing::curand_sobol_host_generator(dims, offset, points, ref.data());
    for (int d = 0; d < dims; ++d) {
      const std::uint32_t* v = t.directions + 32L * d;
      for (int p = 0; p < points; ++p) {
        const auto index = static_cast<std::uint32_t>(offset + static_cast<std::uint64_t>(p));
        REQUIRE(sobol32_word(v, t.scramble[d], index) ==
                ref[static_cast<std::size_t>(d) * points + p]);
      }
      // Eight consecutive points by Gray-code steps, as the CPU backend's lanes draw them.
      for (int p = 0; p + 8 <= points; p += 8) {
        std::uint32_t lanes[8];
        MirrorSobol::words<8>(v, t.scramble[d],
                              static_cast<std::uint32_t>(offset + static_cast<std::uint64_t>(p)),
                              lanes);
        for (int l = 0; l < 8; ++l)
          REQUIRE(lanes[l] == ref[static_cast<std::size_t>(d) * points + p + l]);
      }
    }
  }
}

TEST_CASE("Sobol' words equal cuRAND's device API (curand_init, curand) bit for bit",
          "[curand][qmc]") {
  const SobolTables t = curand_sobol_tables();
  // The last dimensions of the table too; the offset wraps the 32-bit index at the end.
  for (const int d : {0, 1, 2, 15, 159, 4096, kMaxSobolDimensions - 1}) {
    for (const std::uint32_t offset : {0u, 1u, 977u, 0x80000000u, 0xFFFFFFF0u}) {
      CAPTURE(d, offset);
      std::vector<std::uint32_t> ref(64);
      testing::curand_sobol_device_api(t.directions + 32L * d, t.scramble[d], offset, 64,
                                       ref.data());
      for (int k = 0; k < 64; ++k) {
        std::uint32_t one[1];
        MirrorSobol::words<1>(t.directions + 32L * d, t.scramble[d],
                              offset + static_cast<std::uint32_t>(k), one);
        REQUIRE(one[0] == ref[static_cast<std::size_t>(k)]);
      }
    }
  }
}
