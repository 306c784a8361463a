// Philox4x32-10 against the Random123 known-answer vectors, and the host mirror of cuRAND's
// stream semantics (curand_init / curand / curand4 / skipahead, Box-Muller normals).
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "kernels/box_muller.cuh"
#include "kernels/philox.cuh"
#include "kernels/student_t.cuh"

using namespace chipshock;
using W4 = Word4<std::uint32_t>;

static bool same(const W4& a, const W4& b) {
  return a.x == b.x && a.y == b.y && a.z == b.z && a.w == b.w;
}

TEST_CASE("Philox4x32-10 reproduces the Random123 known-answer vectors", "[philox]") {
  // Random123 tests/kat_vectors: counter (4 words), key (2 words) -> output (4 words).
  struct Kat {
    W4 ctr;
    PhiloxKey key;
    W4 expected;
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    const W4 out = philox4x32_10(k.ctr, k.key);
    CAPTURE(out.x, out.y, out.z, out.w);
    CHECK(same(out, k.expected));
  }
}

TEST_CASE("curand_init puts the seed in the key and the subsequence in counter words z,w",
          "[philox]") {
  const std::uint64_t seed = 0x0123456789abcdefull, path = 0x00000002fedcba98ull;
  CurandPhiloxMirror g(seed, path, 0);
  const W4 ctr{0, 0, static_cast<std::uint32_t>(path), static_cast<std::uint32_t>(path >> 32)};
  CHECK(same(g.next4(), philox4x32_10(ctr, philox_key(seed))));
  const W4 ctr1{1, 0, ctr.z, ctr.w};
  CHECK(same(g.next4(), philox4x32_10(ctr1, philox_key(seed))));
}

TEST_CASE("curand and curand4 read one stream, skipahead(offset) skips offset outputs",
          "[philox]") {
  const std::uint64_t seed = 42, path = 7;
  CurandPhiloxMirror ref(seed, path, 0);
  std::vector<std::uint32_t> words(64);
  for (auto& w : words) w = ref.next();
  for (std::uint64_t offset = 0; offset < 20; ++offset) {
    CAPTURE(offset);
    CurandPhiloxMirror g(seed, path, offset);
    const W4 q = g.next4();  // curand4 at an unaligned position returns the next four words
    CHECK(q.x == words[offset]);
    CHECK(q.y == words[offset + 1]);
    CHECK(q.z == words[offset + 2]);
    CHECK(q.w == words[offset + 3]);
    CHECK(g.next() == words[offset + 4]);
  }
}

TEST_CASE("skipahead carries across the 64-bit block counter into the path words", "[philox]") {
  // Offset 2^66 - 4 outputs is block 2^64 - 1: the last block of subsequence 5, just before 6.
  CurandPhiloxMirror g(9, 5, 0);
  g.skipahead(0xFFFFFFFFFFFFFFFCull);
  g.skipahead(0xFFFFFFFFFFFFFFFCull);
  g.skipahead(0xFFFFFFFFFFFFFFFCull);
  g.skipahead(0xFFFFFFFFFFFFFFFCull);
  g.skipahead(12);  // 4 * (2^62 - 1) + 3 blocks = 2^64 - 1 blocks
  CHECK(g.counter().x == 0xFFFFFFFFu);
  CHECK(g.counter().y == 0xFFFFFFFFu);
  CHECK(g.counter().z == 5u);
  g.next4();
  CHECK(g.counter().x == 0u);
  CHECK(g.counter().y == 0u);
  CHECK(g.counter().z == 6u);
}

TEST_CASE("PhiloxBlockStream equals the cuRAND stream at each RNG stream's offset", "[philox]") {
  for (RngStream s : {RngStream::kDiffusion, RngStream::kMixing, RngStream::kEvents}) {
    CurandPhiloxMirror mirror(11, 123456789012ull, stream_offset(s));
    PhiloxBlockStream blocks(11, 123456789012ull, stream_offset(s));
    for (int b = 0; b < 10; ++b) CHECK(same(mirror.next4(), blocks.next4()));
  }
}

TEST_CASE("Box-Muller follows cuRAND's mapping of words to normals", "[philox]") {
  // u = x 2^-32 + 2^-33, v = y 2^-32 2 pi + 2^-32 pi; (sqrt(-2 ln u) sin v, sqrt(-2 ln u) cos v)
  const std::uint32_t words[][2] = {{0u, 0u}, {0xFFFFFFFFu, 0x80000000u}, {123456789u, 987654321u},
                                    {0x40000000u, 0x20000000u}};
  for (const auto& w : words) {
    float n0, n1;
    box_muller(w[0], w[1], n0, n1);
    // u and v are formed in float as cuRAND does (so 0xFFFFFFFF maps to u = 1 exactly).
    const double u = fmaf(static_cast<float>(w[0]), 0x1p-32f, 0x1p-33f);
    const double v = fmaf(static_cast<float>(w[1]), kTwoPow32Inv2Pi, kTwoPow32Inv2Pi / 2);
    const double s = std::sqrt(-2 * std::log(u));
    CAPTURE(w[0], w[1], n0, n1, s * std::sin(v), s * std::cos(v));
    CHECK(n0 == Approx(s * std::sin(v)).epsilon(2e-6).margin(2e-6));
    CHECK(n1 == Approx(s * std::cos(v)).epsilon(2e-6).margin(2e-6));
  }
}

TEST_CASE("Student-t scale factors have the mean that makes the innovations unit variance",
          "[philox][student_t]") {
  // E[w^2] = E[(nu - 2) / chi2_nu] = 1 for every nu > 2.
  for (float dof : {3.0f, 4.5f, 10.0f}) {
    PhiloxBlockStream s(5, 77, stream_offset(RngStream::kMixing));
    const int n = 400000;
    double sum = 0, sum2 = 0;
    for (int k = 0; k < n; ++k) {
      const double w2 = std::pow(student_t_scale(s, dof), 2);
      sum += w2;
      sum2 += w2 * w2;
    }
    const double mean = sum / n;
    // For nu <= 4 the variance of w^2 is infinite; check the mean against a loose bound there.
    const double se = dof > 4.5f ? std::sqrt((sum2 / n - mean * mean) / n) : 0.01;
    CAPTURE(dof, mean, se);
    CHECK(std::fabs(mean - 1.0) < 5 * se);
  }
}
