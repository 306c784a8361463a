// The lane types of the build's baseline (AVX2: host/cpu/simd_lanes.hpp compiled for
// x86-64-v3) against scalar arithmetic, and the SIMD CPU backend against the scalar reference
// path by path. The AVX-512 build of the same lane code is checked against this one through the
// kernel, bit for bit (tests/test_cpu_isa.cpp).
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/cpu/simd_lanes.hpp"
#include "test_util.hpp"

using namespace chipshock;
namespace lanes = simd::HWY_NAMESPACE;
namespace hn = hwy::HWY_NAMESPACE;
using F32x8 = lanes::FloatLanes;
using U32x8 = lanes::WordLanes;
static_assert(lanes::kLanes == 8, "the tests below are written for the AVX2 baseline");

namespace {

U32x8 load_u(const std::uint32_t* p) { return U32x8(hn::LoadU(lanes::WordTag(), p)); }
F32x8 load_f(const float* p) { return F32x8::load_unaligned(p); }
void store_u(const U32x8& v, std::uint32_t* p) { hn::StoreU(v.v, lanes::WordTag(), p); }

std::uint32_t u32(std::mt19937& rng) { return static_cast<std::uint32_t>(rng()); }

double ulp_error(float got, double exact) {
  const double ulp = std::ldexp(1.0, std::ilogb(static_cast<float>(exact)) - 23);
  return std::fabs(got - exact) / ulp;
}

}  // namespace

TEST_CASE("Philox on eight lanes equals scalar Philox lane by lane", "[simd]") {
  std::mt19937 rng(1);
  for (int trial = 0; trial < 1000; ++trial) {
    std::uint32_t c[4][8];
    for (auto& w : c)
      for (auto& v : w) v = u32(rng);
    const PhiloxKey key{u32(rng), u32(rng)};
    const Word4<U32x8> out =
        philox4x32_10(Word4<U32x8>{load_u(c[0]), load_u(c[1]), load_u(c[2]), load_u(c[3])}, key);
    alignas(32) std::uint32_t got[4][8];
    store_u(out.x, got[0]);
    store_u(out.y, got[1]);
    store_u(out.z, got[2]);
    store_u(out.w, got[3]);
    for (int l = 0; l < 8; ++l) {
      const Word4<std::uint32_t> ref = philox4x32_10(
          Word4<std::uint32_t>{c[0][l], c[1][l], c[2][l], c[3][l]}, key);
      REQUIRE(got[0][l] == ref.x);
      REQUIRE(got[1][l] == ref.y);
      REQUIRE(got[2][l] == ref.z);
      REQUIRE(got[3][l] == ref.w);
    }
  }
}

TEST_CASE("uint32 to float on lanes rounds exactly as a scalar conversion", "[simd]") {
  std::mt19937 rng(2);
  std::vector<std::uint32_t> v = {0u,          1u,          0xFFFFFFFFu, 0x80000000u,
                                  0x01000001u, 0x01000003u, 0xFFFFFF80u, 0xFFFFFF7Fu};
  for (int k = 0; k < 80000; ++k) v.push_back(u32(rng));
  for (std::size_t k = 0; k + 8 <= v.size(); k += 8) {
    const F32x8 f = lanes::lane_to_float(load_u(&v[k]));
    for (int l = 0; l < 8; ++l) REQUIRE(f[l] == static_cast<float>(v[k + l]));
  }
}

TEST_CASE("vector log is within 2 ulp on Box-Muller's domain (0, 1]", "[simd]") {
  std::mt19937 rng(3);
  std::vector<float> x;
  for (std::uint32_t w : {0u, 1u, 0x7FFFFFFFu, 0xFFFFFFFFu, 0xB504F333u, 0xB504F334u})
    x.push_back(lane_fma(static_cast<float>(w), kTwoPow32Inv, kTwoPow32Inv / 2));
  for (int k = 0; k < 200000; ++k)
    x.push_back(lane_fma(static_cast<float>(u32(rng)), kTwoPow32Inv, kTwoPow32Inv / 2));
  while (x.size() % 8) x.push_back(0.5f);
  double worst = 0;
  for (std::size_t k = 0; k < x.size(); k += 8) {
    const F32x8 y = lanes::lane_log(load_f(&x[k]));
    for (int l = 0; l < 8; ++l) {
      const double exact = std::log(static_cast<double>(x[k + l]));
      if (exact == 0.0)
        REQUIRE(y[l] == 0.0f);
      else
        worst = std::max(worst, ulp_error(y[l], exact));
    }
  }
  CAPTURE(worst);
  CHECK(worst <= 2.0);
}

TEST_CASE("vector sincos is within 2e-7 absolute error on (0, 2 pi)", "[simd]") {
  std::mt19937 rng(4);
  std::vector<float> x;
  for (int k = 0; k < 200000; ++k)
    x.push_back(lane_fma(static_cast<float>(u32(rng)), kTwoPow32Inv2Pi, kTwoPow32Inv2Pi / 2));
  for (std::uint32_t w : {0u, 0xFFFFFFFFu, 0x40000000u, 0x80000000u, 0xC0000000u})
    x.push_back(lane_fma(static_cast<float>(w), kTwoPow32Inv2Pi, kTwoPow32Inv2Pi / 2));
  while (x.size() % 8) x.push_back(1.0f);
  double worst = 0;
  for (std::size_t k = 0; k < x.size(); k += 8) {
    F32x8 s, c;
    lanes::lane_sincos(load_f(&x[k]), s, c);
    for (int l = 0; l < 8; ++l) {
      const double v = x[k + l];
      worst = std::max({worst, std::fabs(s[l] - std::sin(v)), std::fabs(c[l] - std::cos(v))});
    }
  }
  CAPTURE(worst);
  CHECK(worst < 2e-7);
}

namespace {

// Error of a double in units of the last place of the exact value (long double reference),
// counting subnormal results in units of the smallest subnormal.
double ulp_error_f64(double got, long double exact) {
  const long double mag = std::fabs(exact);
  const long double ulp = mag < static_cast<long double>(std::numeric_limits<double>::min())
                              ? static_cast<long double>(std::numeric_limits<double>::denorm_min())
                              : std::ldexp(1.0L, std::ilogb(static_cast<double>(exact)) - 52);
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / ulp);
}

double exp_lane(double x, int lane) {
  alignas(32) double in[4] = {0, 0, 0, 0}, out[4];
  in[lane] = x;
  hn::Store(lanes::lane_exp(hn::Load(lanes::DoubleTag(), in)), lanes::DoubleTag(), out);
  return out[lane];
}

}  // namespace

TEST_CASE("vector exp is within 1 ulp of e^x over the whole double range", "[simd]") {
  std::mt19937_64 rng(5);
  std::vector<double> x = {0.0, -0.0, 1e-300, -1e-300, 1e-17, 0.5, -0.5, 1.0, -1.0,
                           0.34657359027997264, -0.34657359027997264,  // ln(2)/2: reduction edge
                           0.34657359027997270, 88.7, -103.9, 700.0, 709.78, -708.39, -708.4,
                           -720.0, -740.0, -745.0};
  for (int k = -1070; k <= 1020; k += 7) x.push_back(k * 0.69314718055994531);  // k ln 2
  std::uniform_real_distribution<double> wide(-745.0, 709.7), returns(-3.0, 3.0);
  for (int k = 0; k < 100000; ++k) x.push_back(wide(rng));
  for (int k = 0; k < 100000; ++k) x.push_back(returns(rng));  // what revaluation feeds it
  while (x.size() % 4) x.push_back(0.0);
  double worst = 0, worst_at = 0;
  for (std::size_t k = 0; k < x.size(); k += 4) {
    alignas(32) double out[4];
    hn::Store(lanes::lane_exp(hn::LoadU(lanes::DoubleTag(), &x[k])), lanes::DoubleTag(), out);
    for (int l = 0; l < 4; ++l) {
      const double e = ulp_error_f64(out[l], std::exp(static_cast<long double>(x[k + l])));
      if (e > worst) {
        worst = e;
        worst_at = x[k + l];
      }
    }
  }
  CAPTURE(worst, worst_at);
  CHECK(worst <= 1.0);

  // Overflow, underflow, infinities and NaN, in every lane.
  for (int lane = 0; lane < 4; ++lane) {
    CAPTURE(lane);
    CHECK(exp_lane(0.0, lane) == 1.0);
    CHECK(exp_lane(709.79, lane) == std::numeric_limits<double>::infinity());
    CHECK(exp_lane(1e300, lane) == std::numeric_limits<double>::infinity());
    CHECK(exp_lane(std::numeric_limits<double>::infinity(), lane) ==
          std::numeric_limits<double>::infinity());
    CHECK(exp_lane(-745.9, lane) == 0.0);
    CHECK(exp_lane(-1e300, lane) == 0.0);
    CHECK(exp_lane(-std::numeric_limits<double>::infinity(), lane) == 0.0);
    CHECK(exp_lane(-745.1, lane) == std::numeric_limits<double>::denorm_min());
    CHECK(std::isnan(exp_lane(std::numeric_limits<double>::quiet_NaN(), lane)));
  }
}

TEST_CASE("tiled correlate equals the generic column loop bit for bit", "[simd]") {
  std::mt19937 rng(6);
  std::normal_distribution<float> normal;
  for (int n = 1; n <= 27; ++n) {  // every remainder of the 8-, 4-, 2- and 1-row tiles
    std::vector<float> a(static_cast<std::size_t>(n) * n, 0.0f);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j <= i; ++j) a[i * n + j] = 0.03f * normal(rng);
    std::vector<F32x8> z(n), tiled(n), generic(n);
    for (auto& v : z) {
      float f[8];
      for (float& e : f) e = normal(rng);
      v = load_f(f);
    }
    lanes::correlate(a.data(), n, z.data(), tiled.data());
    chipshock::correlate(a.data(), n, z.data(), generic.data());  // the template in kernels/
    for (int i = 0; i < n; ++i)
      for (int l = 0; l < 8; ++l) {
        CAPTURE(n, i, l);
        REQUIRE(tiled[i][l] == generic[i][l]);
      }
  }
}

TEST_CASE("SIMD CPU backend equals the scalar reference path by path", "[simd][backend]") {
  const auto sample = [](const std::string& m, const std::string& p, int horizon, int steps) {
    const Market market = load_market(testing::source_path(m));
    const Portfolio portfolio = load_portfolio(testing::source_path(p), market);
    const SimSpec spec(market, portfolio, SimSettings{horizon, steps});
    const CpuBackend backend(2);
    const std::uint64_t first = 1000003, n = 2003;  // odd start and count: partial groups
    std::vector<double> simd_losses(n);
    backend.simulate_losses(spec, 99, first, n, simd_losses.data());
    double worst = 0;
    for (std::uint64_t k = 0; k < n; ++k)
      worst = std::max(worst, std::fabs(simd_losses[k] - reference_path_loss(spec, 99, first + k)));
    CAPTURE(m, p, horizon, steps, worst, spec.gross_exposure());
    // float rounding: the lanes' log/sincos differ from libm's by an ulp or two.
    CHECK(worst <= 1e-6 * spec.gross_exposure());
  };
  sample("scenarios/market/ai_chips.toml", "scenarios/portfolio/ai_book.toml", 10, 1);
  sample("scenarios/market/ai_chips.toml", "scenarios/portfolio/hedged_book.toml", 5, 3);
  sample("scenarios/market/ai_chips_t.toml", "scenarios/portfolio/hedged_book.toml", 3, 2);
}
