// The accumulator's state image and the scenario run in pieces (checkpoints, MPI merging): an
// image round trip changes nothing (tail path indices included); a scenario shared between
// several processes, interrupted anywhere and resumed from what each process saved, gives the
// numbers of one uninterrupted run bit for bit: VaR, ES, histogram, convergence table, the stop
// of a target error and the component ES of the tail paths. The processes here are threads with
// an in-memory team (the same driver, merges and images as under mpirun), so this runs in every
// build, MPI or not.
#include <catch2/catch.hpp>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "host/checkpoint/run_checkpoint.hpp"
#include "host/content_hash.hpp"
#include "host/risk_engine.hpp"
#include "host/stats/accumulator_state.hpp"
#include "test_util.hpp"

using namespace chipshock;

namespace {

void check_identical(const ScenarioResult& a, const ScenarioResult& b) {
  CHECK(a.paths == b.paths);
  CHECK(a.mean_loss == b.mean_loss);
  CHECK(a.stdev_loss == b.stdev_loss);
  CHECK(a.prob_loss == b.prob_loss);
  CHECK(a.worst_loss == b.worst_loss);
  CHECK(a.non_finite == b.non_finite);
  CHECK(a.target_met == b.target_met);
  CHECK(a.histogram.bins().lo == b.histogram.bins().lo);
  CHECK(a.histogram.bins().width == b.histogram.bins().width);
  CHECK(a.histogram.counts() == b.histogram.counts());
  CHECK(a.histogram.underflow() == b.histogram.underflow());
  CHECK(a.histogram.overflow() == b.histogram.overflow());
  REQUIRE(a.tail_curve.size() == b.tail_curve.size());
  for (std::size_t k = 0; k < a.tail_curve.size(); ++k)
    CHECK(a.tail_curve[k].loss == b.tail_curve[k].loss);
  const auto same_levels = [](const std::vector<LevelRisk>& x, const std::vector<LevelRisk>& y) {
    REQUIRE(x.size() == y.size());
    for (std::size_t k = 0; k < x.size(); ++k) {
      CHECK(x[k].var == y[k].var);
      CHECK(x[k].es == y[k].es);
      CHECK(x[k].var_lo == y[k].var_lo);
      CHECK(x[k].var_hi == y[k].var_hi);
      CHECK(x[k].es_lo == y[k].es_lo);
      CHECK(x[k].es_hi == y[k].es_hi);
    }
  };
  same_levels(a.levels, b.levels);
  REQUIRE(a.convergence.size() == b.convergence.size());
  for (std::size_t k = 0; k < a.convergence.size(); ++k) {
    CHECK(a.convergence[k].paths == b.convergence[k].paths);
    same_levels(a.convergence[k].levels, b.convergence[k].levels);
  }
  // Component ES/VaR come from the tail paths simulated again: the same paths, the same numbers.
  CHECK(a.allocation.paths_resimulated == b.allocation.paths_resimulated);
  REQUIRE(a.components.size() == b.components.size());
  for (std::size_t k = 0; k < a.components.size(); ++k) {
    CHECK(a.components[k].position == b.components[k].position);
    CHECK(a.components[k].es_contribution == b.components[k].es_contribution);
    CHECK(a.components[k].var_contribution == b.components[k].var_contribution);
    CHECK(a.components[k].var_contribution_se == b.components[k].var_contribution_se);
  }
}

// The sanitizer job (CHIPSHOCK_TEST_LIGHT=1) runs the same checks on fewer paths where the
// path count is free (the fixture's is not: its convergence table needs stops above the pilot).
std::uint64_t scaled(std::uint64_t paths) {
  return testing::paths_or_light(paths, paths / 4);
}

struct Fixture {
  Market market = load_market(testing::source_path("scenarios/market/ai_chips_t.toml"));
  Portfolio portfolio =
      load_portfolio(testing::source_path("scenarios/portfolio/hedged_book.toml"), market);
  SimSpec spec{market, portfolio, SimSettings{2, 1}};
  RunSettings settings;
  Fixture() {
    settings.paths = 150011;  // prime: the 65536-path pilot spans several shares
    settings.seed = 11;
    settings.batch_paths = 9973;
    settings.components = true;
  }
};

// Thrown by a process that is "killed"; the others stop at their next collective step.
struct Killed : std::runtime_error {
  Killed() : std::runtime_error("killed") {}
};

// What the threads of one in-memory job share: a barrier, the images sent to rank 0 and its flag.
class Meeting {
 public:
  explicit Meeting(int ranks) : ranks_(ranks), images_(static_cast<std::size_t>(ranks)) {}
  void sync() {
    std::unique_lock<std::mutex> lock(m_);
    if (aborted_) throw Killed();
    const std::uint64_t gen = generation_;
    if (++arrived_ == ranks_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != gen || aborted_; });
      if (aborted_) throw Killed();
    }
  }
  void abort() {
    std::lock_guard<std::mutex> lock(m_);
    aborted_ = true;
    cv_.notify_all();
  }
  int ranks() const { return ranks_; }
  std::vector<std::string>& images() { return images_; }
  bool flag = false;

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int ranks_, arrived_ = 0;
  std::uint64_t generation_ = 0;
  bool aborted_ = false;
  std::vector<std::string> images_;
};

// A PathTeam of threads: rank 0 merges the images the others send (last to first, to show
// that the order does not matter), as the MPI team does with its merge tree.
class ThreadTeam final : public PathTeam {
 public:
  ThreadTeam(Meeting& meeting, int rank) : meeting_(meeting), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return meeting_.ranks(); }
  const LossAccumulator* gather(const LossAccumulator& mine, std::size_t tail_needed) override {
    meeting_.images()[static_cast<std::size_t>(rank_)] = encode_accumulator(mine, tail_needed);
    meeting_.sync();
    if (rank_ != 0) return nullptr;
    std::string all = meeting_.images().back();
    for (std::size_t k = meeting_.images().size() - 1; k-- > 0;)
      all = merge_accumulator_images(all, meeting_.images()[k], tail_needed);
    merged_ = decode_accumulator(all);
    return &*merged_;
  }
  bool agree(bool root_flag) override {
    if (rank_ == 0) meeting_.flag = root_flag;
    meeting_.sync();
    return meeting_.flag;
  }

 private:
  Meeting& meeting_;
  int rank_;
  std::optional<LossAccumulator> merged_;
};

// Runs a scenario on `ranks` threads from their saved progress (empty: from the start), each
// saving after every batch and stop into `saved`. kill(rank, progress) says whether that rank
// dies instead of saving this progress; then every rank stops. Returns rank 0's result, or
// nothing when killed.
std::optional<ScenarioResult> run_team(
    const Fixture& f, const RunSettings& s, int ranks, std::vector<ScenarioCheckpoint>& saved,
    const std::function<bool(int, const ScenarioProgress&)>& kill) {
  Meeting meeting(ranks);
  std::optional<ScenarioResult> result;
  bool killed = false;
  std::mutex m;
  std::vector<std::thread> threads;
  saved.resize(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      try {
        ThreadTeam team(meeting, r);
        const CpuBackend cpu(1);
        const std::unique_ptr<PathSource> source = cpu_path_source(f.spec, cpu, s);
        ScenarioProgress p = from_checkpoint(saved[static_cast<std::size_t>(r)]);
        advance_scenario(p, s, *source, team, {}, [&](const ScenarioProgress& now) {
          if (kill && kill(r, now)) throw Killed();
          saved[static_cast<std::size_t>(r)] = to_checkpoint("baseline", now);
        });
        if (r == 0) result = finish_scenario("baseline", p, f.spec, s, source->tail_lines());
      } catch (const Killed&) {
        std::lock_guard<std::mutex> lock(m);
        killed = true;
        meeting.abort();
      }
    });
  for (std::thread& t : threads) t.join();
  if (killed) return std::nullopt;
  return result;
}

// As --resume does under mpirun: every rank's saved progress brought in line with rank 0's.
void reconcile(std::vector<ScenarioCheckpoint>& saved) {
  RunCheckpoint root;
  root.scenarios = {saved[0]};
  const nlohmann::json stages = root_stages(root);
  for (std::size_t r = 1; r < saved.size(); ++r) {
    RunCheckpoint mine;
    mine.rank = static_cast<int>(r);
    mine.ranks = static_cast<int>(saved.size());
    mine.scenarios = {saved[r]};
    reconcile_with_root(mine, stages, "rank" + std::to_string(r));
    saved[r] = mine.scenarios[0];
  }
}

}  // namespace

TEST_CASE("shares are contiguous, cover the stretch and differ in size by at most one",
          "[accumulator_state]") {
  for (int ranks : {1, 2, 3, 7, 64}) {
    std::uint64_t next = 5;
    for (int r = 0; r < ranks; ++r) {
      const PathRange share = share_of({5, 1000008}, r, ranks);
      CHECK(share.first == next);
      const std::uint64_t even = 1000003 / static_cast<std::uint64_t>(ranks);
      CHECK(share.size() >= even);
      CHECK(share.size() <= even + 1);
      next = share.last;
    }
    CHECK(next == 1000008);
  }
  CHECK(share_of({0, 3}, 4, 8).size() == 0);  // more ranks than paths: some get none
  CHECK(share_of({0, ~std::uint64_t{0}}, 1, 2).last == ~std::uint64_t{0});
}

TEST_CASE("an accumulator survives encoding: same bytes, statistics and tail path indices",
          "[accumulator_state]") {
  Fixture f;
  const CpuBackend cpu(2);
  const std::unique_ptr<PathSource> source = cpu_path_source(f.spec, cpu, f.settings);
  LossAccumulator acc = source->start();
  source->fold(acc, 0, f.settings.paths, {});
  const std::string bytes = encode_accumulator(acc);
  const LossAccumulator back = decode_accumulator(bytes);
  CHECK(encode_accumulator(back) == bytes);
  check_identical(scenario_result("a", acc, f.settings), scenario_result("a", back, f.settings));
  const std::vector<TailEntry> a = acc.tail_entries(), b = back.tail_entries();
  REQUIRE(a.size() == b.size());
  REQUIRE(!a.empty());
  for (std::size_t k = 0; k < a.size(); ++k) {
    CHECK(a[k].loss == b[k].loss);
    CHECK(a[k].path == b[k].path);
    CHECK(a[k].path < f.settings.paths);
  }
  // Cut to the largest losses a receiver needs: the same first entries.
  const std::vector<TailEntry> cut =
      decode_accumulator(encode_accumulator(acc, 100)).tail_entries();
  REQUIRE(cut.size() == 100);
  for (std::size_t k = 0; k < cut.size(); ++k) CHECK(cut[k].path == a[k].path);
  // An empty accumulator (a rank with no paths) too.
  const LossAccumulator empty = scenario_accumulator(f.spec, f.settings);
  CHECK(encode_accumulator(decode_accumulator(encode_accumulator(empty))) ==
        encode_accumulator(empty));
}

TEST_CASE("an importance-sampling accumulator survives encoding and merging: every weighted path",
          "[accumulator_state][importance]") {
  Fixture f;
  ImportanceShift shift;
  shift.shift.assign(static_cast<std::size_t>(f.spec.total_steps()) * f.spec.model().n_assets,
                     0.2f);
  double norm2 = 0;
  for (float x : shift.shift) norm2 += static_cast<double>(x) * x;
  shift.half_norm2 = norm2 / 2;
  f.spec.set_importance_shift(shift);
  const CpuBackend cpu(2);
  const std::unique_ptr<PathSource> source = cpu_path_source(f.spec, cpu, f.settings);
  LossAccumulator all = source->start(), first = source->start(), second = source->start();
  REQUIRE(all.weighted());
  const std::uint64_t half = f.settings.paths / 2;
  source->fold(all, 0, f.settings.paths, {});
  source->fold(first, 0, half, {});
  source->fold(second, half, f.settings.paths - half, {});
  const std::string bytes = encode_accumulator(all);
  const LossAccumulator back = decode_accumulator(bytes);
  CHECK(back.weighted());
  CHECK(encode_accumulator(back) == bytes);
  CHECK(back.count() == all.count());
  const std::vector<WeightedLoss>& a = all.weighted_sorted();
  const std::vector<WeightedLoss>& b = back.weighted_sorted();
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() == f.settings.paths);
  std::size_t differ = 0;
  for (std::size_t k = 0; k < a.size(); ++k)
    differ += a[k].loss != b[k].loss || a[k].weight != b[k].weight || a[k].path != b[k].path;
  CHECK(differ == 0);
  // Two shares merged (as rank 0 does) are the whole run's image, byte for byte.
  CHECK(merge_accumulator_images(encode_accumulator(first), encode_accumulator(second)) == bytes);
  // A damaged weighted path (a NaN weight, checksum made good again) is refused, not sorted.
  {
    std::string bad = bytes;
    const std::size_t weight_at = bad.size() - 8 - 24 * a.size() + 8;  // the first entry's weight
    const double nan = std::nan("");
    std::memcpy(&bad[weight_at], &nan, sizeof nan);
    bad.resize(bad.size() - 8);
    const std::uint64_t sum = fnv1a64(bad);
    for (int k = 0; k < 8; ++k) bad.push_back(static_cast<char>((sum >> (8 * k)) & 0xff));
    CHECK_THROWS_WITH(decode_accumulator(bad), Catch::Contains("weighted path"));
  }
  // A weighted and a plain image do not merge.
  f.spec.set_importance_shift({});
  const std::unique_ptr<PathSource> plain = cpu_path_source(f.spec, cpu, f.settings);
  LossAccumulator p = plain->start();
  plain->fold(p, 0, 100, {});
  CHECK_THROWS_AS(merge_accumulator_images(bytes, encode_accumulator(p)), AccumulatorStateError);
}

TEST_CASE("damaged, foreign or version-1 state bytes are refused", "[accumulator_state]") {
  Fixture f;
  f.settings.paths = 2000;
  const CpuBackend cpu(1);
  const std::unique_ptr<PathSource> source = cpu_path_source(f.spec, cpu, f.settings);
  LossAccumulator acc = source->start();
  source->fold(acc, 0, f.settings.paths, {});
  const std::string bytes = encode_accumulator(acc);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x10);
  CHECK_THROWS_WITH(decode_accumulator(flipped), Catch::Contains("checksum"));
  CHECK_THROWS_WITH(decode_accumulator(bytes.substr(0, bytes.size() - 9)),
                    Catch::Contains("accumulator state"));
  CHECK_THROWS_WITH(decode_accumulator("not a state"), Catch::Contains("magic"));
  std::string older = bytes;
  older[8] = 1;  // version 1: no tail path indices
  CHECK_THROWS_WITH(decode_accumulator(older), Catch::Contains("version 1"));
}

TEST_CASE("images of versions 2 and 3 (narrower grids) are refused with the way out",
          "[accumulator_state]") {
  Fixture f;
  f.settings.paths = 3000;
  const CpuBackend cpu(1);
  const std::unique_ptr<PathSource> source = cpu_path_source(f.spec, cpu, f.settings);
  LossAccumulator acc = source->start();
  source->fold(acc, 0, f.settings.paths, {});
  const std::string v4 = encode_accumulator(acc);
  for (const int version : {2, 3}) {
    // The version's number with a valid checksum: refused for the version, not as damage.
    std::string old = v4.substr(0, v4.size() - 8);
    old[8] = static_cast<char>(version);
    const std::uint64_t sum = fnv1a64(old);
    for (int b = 0; b < 8; ++b) old.push_back(static_cast<char>((sum >> (8 * b)) & 0xff));
    CHECK_THROWS_WITH(decode_accumulator(old),
                      Catch::Contains("version " + std::to_string(version)) &&
                          Catch::Contains("start the run again without --resume"));
  }
}

TEST_CASE("a scenario shared between 1, 2 or 3 processes equals one run bit for bit",
          "[accumulator_state][determinism]") {
  Fixture f;
  const ScenarioResult whole = simulate_scenario("baseline", f.spec, CpuBackend(2), f.settings);
  REQUIRE(whole.histogram.has_bins());
  REQUIRE(!whole.components.empty());
  REQUIRE(whole.convergence.size() >= 2);
  for (int ranks : {1, 2, 3}) {
    CAPTURE(ranks);
    std::vector<ScenarioCheckpoint> saved;
    const std::optional<ScenarioResult> r = run_team(f, f.settings, ranks, saved, {});
    REQUIRE(r);
    check_identical(whole, *r);
  }
}

TEST_CASE("killed anywhere and resumed from what each process saved: one run bit for bit",
          "[accumulator_state][checkpoint][determinism]") {
  Fixture f;
  SECTION("plain run, 2 processes, killed in a stretch") {
    const ScenarioResult whole = simulate_scenario("baseline", f.spec, CpuBackend(2), f.settings);
    std::vector<ScenarioCheckpoint> saved;
    // Rank 1 dies halfway through its share of the last stretch.
    const std::uint64_t at = f.settings.paths / 2 + f.settings.paths / 4 + f.settings.paths / 8;
    CHECK(!run_team(f, f.settings, 2, saved, [&](int rank, const ScenarioProgress& p) {
      return rank == 1 && p.next_path > at;
    }));
    CHECK(!saved[0].complete);
    reconcile(saved);
    const std::optional<ScenarioResult> r = run_team(f, f.settings, 2, saved, {});
    REQUIRE(r);
    check_identical(whole, *r);
  }
  SECTION("rank 0 passed a stop that rank 1 died before saving") {
    const ScenarioResult whole = simulate_scenario("baseline", f.spec, CpuBackend(2), f.settings);
    std::vector<ScenarioCheckpoint> saved;
    const std::uint64_t stop = f.settings.paths / 2;  // a stop of the convergence table
    CHECK(!run_team(f, f.settings, 3, saved, [&](int rank, const ScenarioProgress& p) {
      return rank == 2 && p.done == stop;
    }));
    CHECK(saved[0].done == stop);  // rank 0 saved the stop, and went on
    CHECK(saved[2].done < stop);
    CHECK(saved[2].reached == stop);
    reconcile(saved);
    CHECK(saved[2].done == stop);
    const std::optional<ScenarioResult> r = run_team(f, f.settings, 3, saved, {});
    REQUIRE(r);
    check_identical(whole, *r);
  }
  SECTION("a run to a target error, killed after its first doubling") {
    RunSettings s = f.settings;
    s.paths = scaled(40000);
    s.target_rel_error = 0.004;  // not met before a few doublings
    s.max_paths = 8 * s.paths;
    const ScenarioResult whole = simulate_scenario("baseline", f.spec, CpuBackend(2), s);
    REQUIRE(whole.convergence.size() >= 3);
    std::vector<ScenarioCheckpoint> saved;
    CHECK(!run_team(f, s, 2, saved, [&](int rank, const ScenarioProgress& p) {
      return rank == 0 && p.done == 2 * s.paths && p.next_path > 2 * s.paths + 5000;
    }));
    CHECK(saved[0].table.size() == 2);
    reconcile(saved);
    const std::optional<ScenarioResult> r = run_team(f, s, 2, saved, {});
    REQUIRE(r);
    check_identical(whole, *r);
  }
}

TEST_CASE("ranks' checkpoints that cannot belong to one run are refused", "[checkpoint]") {
  RunCheckpoint root;
  root.scenarios.resize(1);
  root.scenarios[0].done = 4000;
  RunCheckpoint mine;
  mine.rank = 1;
  mine.ranks = 2;
  mine.scenarios.resize(1);
  mine.scenarios[0].done = 1000;  // two stops behind: it would have had to pass the stop at 2000
  mine.scenarios[0].reached = 2000;
  CHECK_THROWS_WITH(reconcile_with_root(mine, root_stages(root), "f.rank1of2"),
                    Catch::Contains("disagree") && Catch::Contains("f.rank1of2"));
  RunCheckpoint none;
  none.rank = 1;
  none.ranks = 2;
  CHECK_THROWS_WITH(reconcile_with_root(none, root_stages(root), "f"), Catch::Contains("disagree"));
}
