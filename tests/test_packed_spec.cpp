// The GPU's per-launch data: packing the model and book into one block of bytes, padded to a
// multiple of 4 assets, changes no loss by a single bit, for the generic and the fixed-size
// model alike. Runs without a GPU: the unpacked views are read on the host.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "all_features.hpp"
#include "host/cpu/reference_backend.hpp"
#include "kernels/packed_spec.cuh"
#include "kernels/single_path.cuh"

using namespace chipshock;

namespace {

template <class Model>
double packed_loss(const Model& m, const BookView& b, std::uint64_t seed, std::uint64_t path) {
  std::vector<float> x(m.n_assets), z(4 * m.n_blocks), eps(m.n_assets);
  std::vector<double> spot(m.n_assets);
  std::vector<Settlement> settled(kMaxMarks);  // all_features_run's expiring options, vol factors
  return settled_path_loss_of<PhiloxDiffusion<MirrorNormals>>(
      m, b, seed, path, x.data(), z.data(), eps.data(), spot.data(), nullptr, settled.data());
}

void check_bit_identical(const SimSpec& spec, int padded) {
  const PackedSpec packed = pack_spec(spec.model(), spec.book());
  REQUIRE(packed.layout.model.n_assets == padded);
  REQUIRE(packed.layout.model.n_blocks == spec.model().n_blocks);  // same draws per step
  REQUIRE(packed.bytes.size() == packed.layout.bytes);
  REQUIRE(packed.bytes.size() % 16 == 0);
  const ModelView m = packed.layout.model_at(packed.bytes.data());
  const BookView b = packed.layout.book_at(packed.bytes.data());
  for (std::uint64_t path : {0ull, 1ull, 17ull, 4096ull, 999983ull, 123456789012ull}) {
    CAPTURE(path);
    const double ref = reference_path_loss(spec, 11, path);
    CHECK(packed_loss(m, b, 11, path) == ref);
    if (padded == 16) CHECK(packed_loss(FixedSizeModel<16>(m), b, 11, path) == ref);
    if (padded == 8) CHECK(packed_loss(FixedSizeModel<8>(m), b, 11, path) == ref);
  }
}

}  // namespace

TEST_CASE("padded asset counts are the next multiple of 4", "[packed_spec]") {
  CHECK(padded_asset_count(1) == 4);
  CHECK(padded_asset_count(4) == 4);
  CHECK(padded_asset_count(5) == 8);
  CHECK(padded_asset_count(16) == 16);
  CHECK(padded_asset_count(17) == 20);
}

TEST_CASE("packed and padded specs give bit-identical losses", "[packed_spec]") {
  testing::TempDir dir;
  SECTION("16 assets, Student-t, options, every scenario primitive") {
    const testing::TestRun t = testing::all_features_run(dir, 7, 2);
    CHECK(t.spec->model().n_segments > 1);
    CHECK(t.spec->model().n_events == 3);
    check_bit_identical(*t.spec, 16);
  }
  SECTION("5 assets padded to 8") {
    const testing::TestRun t = testing::five_asset_run(dir, 3, 2);
    check_bit_identical(*t.spec, 8);
  }
}

TEST_CASE("the packed layout keeps the book's scalars and the model's shape", "[packed_spec]") {
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 7, 1);
  const ModelView m0 = t.spec->model();
  const BookView b0 = t.spec->book();
  const PackedSpec p = pack_spec(m0, b0);
  const ModelView m = p.layout.model_at(p.bytes.data());
  const BookView b = p.layout.book_at(p.bytes.data());
  CHECK(m.horizon_days == m0.horizon_days);
  CHECK(m.steps_per_day == m0.steps_per_day);
  CHECK(m.n_segments == m0.n_segments);
  CHECK(m.dof == m0.dof);
  CHECK(m.n_events == m0.n_events);
  for (int d = 0; d < m0.horizon_days; ++d) CHECK(m.day_segment[d] == m0.day_segment[d]);
  CHECK(b.n_held == b0.n_held);
  CHECK(b.n_options == b0.n_options);
  CHECK(b.value0 == b0.value0);
  CHECK(b.cash == b0.cash);
  CHECK(b.rate == b0.rate);
  for (int k = 0; k < b0.n_options; ++k) CHECK(b.options[k].strike == b0.options[k].strike);
}
