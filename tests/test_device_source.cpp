// The GPU backend's scenario run (host/gpu/device_path_source.hpp): the tail kept on the device
// from stop to stop, settled into the host accumulator at stops and checkpoints, a resume that
// hands the saved tail back, importance sampling, and the components' line sums
// (kernels/tail_line_pipeline.cuh). Compiled for Thrust's OMP device system: the engine below is
// GpuEngine's interface over the same pipelines, with each kernel replaced by a host loop over
// the scalar reference's per-path functions (the GPU's path function with the host mirror of
// cuRAND). So this is everything a GPU scenario runs but the kernels and cuRAND's device code,
// checked against the scalar reference backend (ReferencePathSource) without a GPU.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "all_features.hpp"
#include "book_fixture.hpp"
#include "books_checks.hpp"
#include "host/analytics/books.hpp"
#include "host/component_risk.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/gpu/device_path_source.hpp"
#include "host/risk_engine.hpp"
#include "kernels/book_losses.cuh"
#include "kernels/loss_pipeline.cuh"
#include "kernels/tail_line_pipeline.cuh"
#include "result_checks.hpp"

using namespace chipshock;

static_assert(THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_OMP, "built for Thrust's OMP system");

namespace {

// GpuEngine's interface (kernels/gpu_engine.hpp) on the OMP system for one spec.
class OmpEngine {
 public:
  // batch: the device batch when the source asks for none (0), as GpuEngine sizes one.
  OmpEngine(const SimSpec& spec, std::uint64_t batch)
      : spec_(spec), model_(spec.model()), book_(spec.book()), batch_(batch) {}

  // The loaded model and book (the views of a spec alive while they are used), which the
  // components' lines revalue, as on the device (DeviceTailLines loads each spec it is given).
  void load(const ModelView& m, const BookView& b, KernelChoice) {
    ++loads;
    model_ = m;
    book_ = b;
  }
  void simulate_losses(std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                       double* out) {
    launch(seed, first, count, out);
  }
  void simulate_weighted(std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                         double* losses, double* log_weights, const FoldBooks* books = nullptr) {
    if (books == nullptr) {
#pragma omp parallel for
      for (std::int64_t k = 0; k < static_cast<std::int64_t>(count); ++k)
        losses[k] = reference_path_loss(spec_, seed, first + static_cast<std::uint64_t>(k),
                                        &log_weights[k]);
      return;
    }
    fold_book_pieces(*books, seed, first, count, losses, log_weights);
  }
  void begin_tail(std::uint64_t k) { pipeline_.begin_tail(k); }
  LossSummary fold(std::uint64_t seed, std::uint64_t first, std::uint64_t paths,
                   const LossGrid& grid, std::uint64_t batch,
                   const std::function<void(std::uint64_t, std::uint64_t)>& progress,
                   const HistogramGrid& hist, double* keep = nullptr,
                   const FoldBooks* books = nullptr) {
    const BatchPlan plan = plan_batches_for_tail(paths, pipeline_.tail_room(paths), 1ull << 34,
                                                 batch > 0 ? batch : batch_);
    return pipeline_.fold(
        first, paths, grid, plan,
        [&](std::uint64_t f, std::uint64_t count, double* out) {
          if (books == nullptr) {
            launch(seed, f, count, out);
            return;
          }
          fold_book_pieces(*books, seed, f, count, out, nullptr);
        },
        progress, hist, keep);
  }
  std::uint64_t tail_count() const { return pipeline_.tail_count(); }
  void copy_tail(std::uint64_t m, double* losses, std::uint64_t* paths) {
    pipeline_.copy_tail(m, losses, paths);
  }
  void load_tail(const double* losses, const std::uint64_t* paths, std::uint64_t n) {
    pipeline_.load_tail(losses, paths, n);
  }
  TailLineSums tail_lines(const std::vector<LineView>& lines, std::uint64_t seed,
                          const TailLineRequest& q) {
    ++line_calls;
    return lines_.run(q, static_cast<int>(lines.size()) + 1,
                      [&](const std::uint64_t* paths, std::uint64_t count, std::uint64_t stride,
                          double* out) {
                        const std::size_t cols = lines.size() + 1;
#pragma omp parallel for
                        for (std::int64_t k = 0; k < static_cast<std::int64_t>(count); ++k) {
                          std::vector<double> row(cols);
                          reference_path_lines(model_, book_, lines.data(),
                                               static_cast<int>(lines.size()), seed, paths[k],
                                               row.data());
                          for (std::size_t c = 0; c < cols; ++c)
                            out[c * stride + static_cast<std::uint64_t>(k)] = row[c];
                        }
                      });
  }

  // Each book's loss per path: the reference's log-returns, horizon_loss under each book (what
  // GpuEngine's path_book_losses kernel runs per thread).
  void simulate_books(const std::vector<BookView>& books, int n_assets, std::uint64_t seed,
                      std::uint64_t first, std::uint64_t count, double* out) {
    ++book_calls;
    book_losses(books, n_assets, seed, first, count, out);
  }

  int loads = 0, book_calls = 0, book_pieces = 0, line_calls = 0;
  std::uint64_t books_piece = 0;  // the fold's pieces of books' losses (0: GpuEngine's)

 private:
  // GpuEngine's FoldBooks runs: pieces of at most fold_books_piece paths (books_piece when
  // set), every book's losses of a piece at once, the first book's the run's (into losses), the
  // piece then to the sink; log_weights: under importance sampling the paths' log-likelihood
  // ratios (else null).
  void fold_book_pieces(const FoldBooks& books, std::uint64_t seed, std::uint64_t first,
                        std::uint64_t count, double* losses, double* log_weights) {
    const std::uint64_t piece =
        books_piece > 0 ? books_piece : fold_books_piece(books.views.size());
    std::vector<double> all;
    for (std::uint64_t done = 0; done < count; done += piece) {
      const std::uint64_t n = std::min(piece, count - done);
      double* w = log_weights != nullptr ? log_weights + done : nullptr;
      all.resize(static_cast<std::size_t>(n * books.views.size()));
      book_losses(books.views, books.n_assets, seed, first + done, n, all.data(), w);
      std::copy(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), losses + done);
      books.sink(all.data(), w, first + done, n);
      ++book_pieces;
    }
  }

  // log_weights: under importance sampling, the paths' log-likelihood ratios (else null).
  void book_losses(const std::vector<BookView>& books, int n_assets, std::uint64_t seed,
                   std::uint64_t first, std::uint64_t count, double* out,
                   double* log_weights = nullptr) const {
    // GpuEngine's path_book_losses per thread: the books' marks moved on the path's days
    // (book_losses.cuh), every book's loss from the same log-returns
    const ModelView m = spec_.model();
    const BookMarkLayout layout = book_mark_layout(books);
#pragma omp parallel for
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(count); ++k) {
      const std::uint64_t path = first + static_cast<std::uint64_t>(k);
      std::vector<Settlement> own(static_cast<std::size_t>(layout.total));
      const BookMarkDays marks{books.data(),
                               layout.marked.data(),
                               layout.mark_at.data(),
                               static_cast<int>(layout.marked.size()),
                               own.data(),
                               seed,
                               path,
                               m.antithetic};
      marks.start();
      const std::vector<float> x =
          reference_log_returns(m, books[0], seed, path,
                                log_weights != nullptr ? log_weights + k : nullptr, nullptr, marks);
      std::vector<double> spot(static_cast<std::size_t>(n_assets));
      book_horizon_losses(m, books.data(), static_cast<int>(books.size()), marks, x.data(),
                          spot.data(), out + k, count);
    }
  }

  void launch(std::uint64_t seed, std::uint64_t first, std::uint64_t count, double* out) const {
#pragma omp parallel for
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(count); ++k)
      out[k] = reference_path_loss(spec_, seed, first + static_cast<std::uint64_t>(k));
  }

  const SimSpec& spec_;
  ModelView model_;
  BookView book_;
  std::uint64_t batch_;
  LossPipeline pipeline_;
  TailLinePipeline lines_;
};

// Everything but the components bit for bit; the components to the rounding of the sums (the
// device adds in double, chunk by chunk; the reference in long double, path by path).
void check_same_run(const ScenarioResult& a, const ScenarioResult& b, double scale) {
  testing::check_same(a, b);
  for (std::size_t k = 0; k < a.levels.size(); ++k) {
    CHECK(a.levels[k].es_lo == b.levels[k].es_lo);
    CHECK(a.levels[k].es_hi == b.levels[k].es_hi);
  }
  testing::check_same_histogram(a.histogram, b.histogram);
  REQUIRE(a.convergence.size() == b.convergence.size());
  for (std::size_t r = 0; r < a.convergence.size(); ++r) {
    CHECK(a.convergence[r].paths == b.convergence[r].paths);
    REQUIRE(a.convergence[r].levels.size() == b.convergence[r].levels.size());
    for (std::size_t k = 0; k < a.convergence[r].levels.size(); ++k) {
      CHECK(a.convergence[r].levels[k].var == b.convergence[r].levels[k].var);
      CHECK(a.convergence[r].levels[k].es == b.convergence[r].levels[k].es);
    }
  }
  CHECK(a.importance.ess == b.importance.ess);
  REQUIRE(a.components.size() == b.components.size());
  CHECK(!a.components.empty());
  for (std::size_t j = 0; j < a.components.size(); ++j) {
    CAPTURE(j, a.components[j].position, a.components[j].es_contribution,
            b.components[j].es_contribution);
    CHECK(a.components[j].position == b.components[j].position);
    CHECK(std::fabs(a.components[j].es_contribution - b.components[j].es_contribution) <=
          1e-12 * scale);
    CHECK(a.components[j].var_contribution == b.components[j].var_contribution);
    CHECK(a.components[j].var_contribution_se == b.components[j].var_contribution_se);
  }
  REQUIRE(a.allocation.levels.size() == b.allocation.levels.size());
  for (std::size_t k = 0; k < a.allocation.levels.size(); ++k) {
    CHECK(std::fabs(a.allocation.levels[k].es_resimulated -
                    b.allocation.levels[k].es_resimulated) <= 1e-12 * scale);
    CHECK(a.allocation.levels[k].var_resimulated == b.allocation.levels[k].var_resimulated);
    CHECK(a.allocation.levels[k].var_window_mean == b.allocation.levels[k].var_window_mean);
  }
  CHECK(a.allocation.paths_resimulated == b.allocation.paths_resimulated);
}

RunSettings run_settings(std::uint64_t paths, std::uint64_t seed) {
  RunSettings s;
  s.paths = paths;
  s.seed = seed;
  s.components = true;
  return s;
}

ScenarioResult reference_run(const SimSpec& spec, const RunSettings& s) {
  ReferencePathSource source(spec, s, s.paths);
  return run_scenario("x", spec, source, s);
}

ScenarioResult device_run(const SimSpec& spec, const RunSettings& s, std::uint64_t source_batch,
                          std::uint64_t device_batch) {
  OmpEngine engine(spec, device_batch);
  DevicePathSource<OmpEngine> source(engine, KernelChoice::kAuto, spec, s, source_batch);
  return run_scenario("x", spec, source, s);
}

}  // namespace

TEST_CASE("a scenario's tail kept on the device from run to run is one run's tail",
          "[device]") {
  std::vector<double> losses(50000);
  for (std::size_t i = 0; i < losses.size(); ++i)  // ties and negatives among them
    losses[i] = std::floor(1000.0 * std::sin(0.37 * static_cast<double>(i)) *
                           std::cos(0.011 * static_cast<double>(i)));
  const auto launch = [&](std::uint64_t first, std::uint64_t count, double* out) {
    for (std::uint64_t k = 0; k < count; ++k) out[k] = losses[first + k];
  };
  for (const std::uint64_t tail_k : {1ull, 700ull, 12000ull, 50000ull}) {
    CAPTURE(tail_k);
    LossAccumulator ref(1.0e6, tail_k);
    ref.add(losses.data(), losses.size(), 0);
    const std::vector<TailEntry> want = ref.tail_entries();
    // Runs of uneven lengths, each with its own batches, into one tail.
    LossPipeline pipeline;
    pipeline.begin_tail(tail_k);
    LossAccumulator acc(1.0e6, tail_k);
    std::uint64_t done = 0;
    for (const std::uint64_t run : {1ull, 999ull, 3000ull, 21000ull, 25000ull}) {
      const BatchPlan plan = plan_batches_for_tail(run, pipeline.tail_room(run), 1ull << 34, 4096);
      merge_summary(acc, pipeline.fold(done, run, loss_grid(acc), plan, launch));
      done += run;
      CHECK(pipeline.tail_count() == std::min<std::uint64_t>(tail_k, done));
    }
    REQUIRE(done == losses.size());
    CHECK(acc.count() == ref.count());
    CHECK(acc.mean() == ref.mean());
    std::vector<double> top(want.size());
    std::vector<std::uint64_t> paths(want.size());
    pipeline.copy_tail(want.size(), top.data(), paths.data());
    for (std::size_t i = 0; i < want.size(); ++i) {
      CHECK(top[i] == want[i].loss);
      CHECK(paths[i] == want[i].path);
    }
    // A prefix, losses only.
    std::vector<double> three(3, -1.0);
    pipeline.copy_tail(3, three.data(), nullptr);
    for (std::size_t i = 0; i < std::min<std::size_t>(3, want.size()); ++i)
      CHECK(three[i] == want[i].loss);

    // Stopped after 24,000 paths and resumed from the saved tail: the same tail.
    LossPipeline first;
    first.begin_tail(tail_k);
    first.fold(0, 24000, loss_grid(acc),
               plan_batches_for_tail(24000, first.tail_room(24000), 1ull << 34, 5000), launch);
    std::vector<double> saved(first.tail_count());
    std::vector<std::uint64_t> saved_paths(saved.size());
    first.copy_tail(saved.size(), saved.data(), saved_paths.data());
    LossPipeline resumed;
    resumed.begin_tail(tail_k);
    resumed.load_tail(saved.data(), saved_paths.data(), saved.size());
    resumed.fold(24000, 26000, loss_grid(acc),
                 plan_batches_for_tail(26000, resumed.tail_room(26000), 1ull << 34, 7000),
                 launch);
    REQUIRE(resumed.tail_count() == want.size());
    resumed.copy_tail(want.size(), top.data(), paths.data());
    for (std::size_t i = 0; i < want.size(); ++i) {
      CHECK(top[i] == want[i].loss);
      CHECK(paths[i] == want[i].path);
    }
  }
}

TEST_CASE("a device scenario equals the scalar reference's, for any stretch and device batch",
          "[device]") {
  testing::TempDir dir;
  const testing::TestRun features = testing::all_features_run(dir, 7, 1);
  const testing::TestRun sobol = testing::all_features_run(dir, 7, 1, true, RngKind::kSobol);
  const testing::TestRun five = testing::five_asset_run(dir, 3, 2);
  for (const testing::TestRun* t : {&features, &sobol, &five}) {
    const SimSpec& spec = *t->spec;
    RunSettings s = run_settings(12011, 9);
    s.confidences = {0.9, 0.99};
    const ScenarioResult ref = reference_run(spec, s);
    CHECK(ref.convergence.size() > 2);
    for (const std::uint64_t source_batch : {~0ull, 2500ull}) {
      for (const std::uint64_t device_batch : {0ull, 333ull}) {
        CAPTURE(spec.n_assets(), source_batch, device_batch);
        check_same_run(device_run(spec, s, source_batch, device_batch == 0 ? 4096 : 333), ref,
                       spec.gross_exposure());
      }
    }
  }
}

TEST_CASE("a device scenario stopped at a checkpoint and resumed is the whole run", "[device]") {
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 7, 1);
  const SimSpec& spec = *t.spec;
  const RunSettings s = run_settings(10007, 4);
  const ScenarioResult whole = device_run(spec, s, 1500, 512);
  for (const int stop_after : {1, 3, 6}) {  // saves: after the first batches, and at stops
    CAPTURE(stop_after);
    struct Stopped {};
    ScenarioProgress saved;
    int saves = 0;
    {
      OmpEngine engine(spec, 512);
      DevicePathSource<OmpEngine> source(engine, KernelChoice::kAuto, spec, s, 1500);
      PathTeam alone;
      ScenarioProgress p;
      CHECK_THROWS_AS(advance_scenario(p, s, source, alone, {},
                                       [&](const ScenarioProgress& now) {
                                         saved = now;  // a checkpoint's copy
                                         if (++saves == stop_after) throw Stopped{};
                                       }),
                      Stopped);
    }
    REQUIRE(saved.acc);
    CHECK(!saved.complete);
    // The checkpoint holds this process's whole tail: the top of every path folded so far.
    CHECK(saved.acc->tail_entries().size() ==
          std::min<std::uint64_t>(saved.acc->tail_size(), saved.acc->count()));
    OmpEngine engine(spec, 512);
    DevicePathSource<OmpEngine> source(engine, KernelChoice::kAuto, spec, s, 1500);
    PathTeam alone;
    advance_scenario(saved, s, source, alone);
    const ScenarioResult resumed = finish_scenario("x", saved, spec, s, source.tail_lines());
    check_same_run(resumed, whole, spec.gross_exposure());
  }
}

TEST_CASE("importance sampling on the device source is the scalar reference's weighted run",
          "[device][importance]") {
  testing::TempDir dir;
  for (const RngKind rng : {RngKind::kPhilox, RngKind::kSobol}) {
    const testing::TestRun t = testing::all_features_run(dir, 7, 1, true, rng);
    SimSpec& spec = *t.spec;
    spec.set_importance_shift(testing::some_importance_shift(spec));
    REQUIRE(spec.importance_sampling());
    RunSettings s = run_settings(6007, 21);
    s.confidences = {0.99, 0.999};
    const ScenarioResult ref = reference_run(spec, s);
    CHECK(ref.importance.ess > 0);
    const ScenarioResult dev = device_run(spec, s, 2000, 700);
    check_same_run(dev, ref, spec.gross_exposure());
  }
}

TEST_CASE("the device's line sums are the host's in tail order, to the rounding of a sum",
          "[device][components]") {
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 7, 1);
  const SimSpec& spec = *t.spec;
  const int columns = static_cast<int>(spec.positions().size()) + 1;
  TailLineRequest q;
  for (std::uint64_t i = 0; i < 5000; ++i) q.paths.push_back((i * 7919) % 100003);
  q.ends = {4999, 0, 1, 2500, 5000};
  q.rows = {{0, 3}, {2490, 2511}, {4999, 5000}};
  const TailLineSums host = ReferenceTailLines().tail_lines(spec, 3, q);
  for (const bool weighted : {false, true}) {
    CAPTURE(weighted);
    q.weights.clear();
    if (weighted)  // some zero: those paths are left out
      for (std::size_t i = 0; i < q.paths.size(); ++i)
        q.weights.push_back(i % 11 == 0 ? 0.0 : 0.5 + 0.001 * static_cast<double>(i));
    const TailLineSums want = ReferenceTailLines().tail_lines(spec, 3, q);
    OmpEngine engine(spec, 0);
    std::vector<LineView> lines;
    for (const PositionLine& p : spec.positions())
      lines.push_back({p.asset, p.option, p.quantity, p.unit_value0});
    const TailLineSums got = engine.tail_lines(lines, 3, q);
    CHECK(got.columns == columns);
    CHECK(got.rows == want.rows);
    CHECK(got.rows == host.rows);
    REQUIRE(got.sums.size() == want.sums.size());
    for (std::size_t i = 0; i < want.sums.size(); ++i) {
      CAPTURE(i, static_cast<double>(got.sums[i]), static_cast<double>(want.sums[i]));
      CHECK(std::fabs(static_cast<double>(got.sums[i] - want.sums[i])) <=
            1e-12 * spec.gross_exposure() * 5000);
    }
    for (std::size_t c = 0; c < static_cast<std::size_t>(columns); ++c)  // ends[1] = 0: no path
      CHECK(got.sums[static_cast<std::size_t>(columns) + c] == 0);
  }
  // A chunk is a power of two of paths, about 2^25 line losses: a function of the columns alone.
  CHECK(TailLinePipeline::chunk_paths(17) == (1u << 20));
  CHECK(TailLinePipeline::chunk_paths(1) == (1u << 22));
  CHECK(TailLinePipeline::chunk_paths(257) == (1u << 16));
}

TEST_CASE("a device source keeps every loss it folds, copied from each device batch",
          "[device][run_control]") {
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 7, 1);
  const SimSpec& spec = *t.spec;
  const RunSettings s = run_settings(7001, 3);
  std::vector<double> kept;
  std::uint64_t next = 0;
  OmpEngine engine(spec, 333);
  DevicePathSource<OmpEngine> source(engine, KernelChoice::kAuto, spec, s, 2500);
  source.keep_losses([&](std::uint64_t first, std::uint64_t count) {
    CHECK(first == next);
    next = first + count;
    kept.resize(static_cast<std::size_t>(first + count));
    return kept.data() + first;
  });
  const ScenarioResult kept_run = run_scenario("x", spec, source, s);
  check_same_run(kept_run, device_run(spec, s, 2500, 333), spec.gross_exposure());
  REQUIRE(kept.size() == s.paths);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const double want = reference_path_loss(spec, s.seed, i);
    if (kept[i] != want) FAIL("path " << i << ": kept " << kept[i] << ", reference " << want);
  }
}

TEST_CASE("a book hierarchy on the device source: each book's figures are its own reference run's",
          "[device][books]") {
  const Market market = load_market(testing::source_path("scenarios/market/ai_chips.toml"));
  const Portfolio all =
      load_portfolio(testing::source_path("scenarios/portfolio/ai_desks.toml"), market);
  const BookTree tree = book_tree(all);
  REQUIRE(tree.nodes.size() == 6);
  const SimSettings sim{4, 1};
  const SimSpec spec(market, all, sim);
  RunSettings s = run_settings(20011, 5);
  s.confidences = {0.95, 0.99};
  const CpuBackend cpu(2);
  BooksTap tap(market, all, tree, sim, nullptr, cpu, s, nullptr);
  OmpEngine engine(spec, 700);
  engine.books_piece = 300;  // pieces smaller than the device batch
  DevicePathSource<OmpEngine> source(engine, KernelChoice::kAuto, spec, s, 6000, &tap);
  const ScenarioResult run = run_scenario("x", spec, source, s);
  // one simulation a path: every book revalued in the run's own pass, none simulated again
  CHECK(engine.book_calls == 0);
  CHECK(engine.book_pieces >= static_cast<int>(s.paths / 300));
  BooksReport report;
  PathTeam alone;
  const int run_lines = engine.line_calls;
  tap.add_to(report, "baseline", s.paths, alone, source.tail_lines());
  // every parent's components from the device's tail lines, adding up to its ES
  int parents = 0;
  for (const BookTreeNode& t : tree.nodes) parents += t.children.empty() ? 0 : 1;
  CHECK(engine.line_calls == run_lines + parents);
  testing::check_contributions_add_up(report, tree);
  REQUIRE(report.nodes.size() == tree.nodes.size());
  for (std::size_t n = 0; n < tree.nodes.size(); ++n) {
    CAPTURE(n, tree.nodes[n].name);
    const SimSpec book(market, tree.portfolio_of(all, static_cast<int>(n)), sim);
    RunSettings own = s;
    own.components = false;
    const ScenarioResult want = reference_run(book, own);
    const BookScenario& got = report.nodes[n].scenarios.at(0);
    CHECK(got.paths == s.paths);
    CHECK(got.mean_loss == want.mean_loss);
    REQUIRE(got.levels.size() == want.levels.size());
    for (std::size_t l = 0; l < want.levels.size(); ++l) {
      CHECK(got.levels[l].var == want.levels[l].var);
      CHECK(got.levels[l].es == want.levels[l].es);
    }
  }
  // the top is the run itself
  CHECK(report.nodes[0].scenarios[0].levels[1].es == run.levels[1].es);
}

TEST_CASE(
    "a book hierarchy under importance sampling on the device source: every book weighed "
    "on the run's weighted paths, each its own reference run's under that measure",
    "[device][books][importance]") {
  const Market market = load_market(testing::source_path("scenarios/market/ai_chips.toml"));
  const Portfolio all =
      load_portfolio(testing::source_path("scenarios/portfolio/ai_desks.toml"), market);
  const BookTree tree = book_tree(all);
  const SimSettings sim{3, 1};
  SimSpec spec(market, all, sim);
  const ImportanceShift shift = testing::some_importance_shift(spec);
  spec.set_importance_shift(shift);
  REQUIRE(spec.importance_sampling());
  RunSettings s = run_settings(9001, 13);
  s.confidences = {0.95, 0.99};
  const CpuBackend cpu(2);
  BooksTap tap(market, all, tree, sim, nullptr, cpu, s, nullptr);
  tap.weigh(shift);
  OmpEngine engine(spec, 700);
  engine.books_piece = 1000;  // pieces smaller than the source's stretches
  DevicePathSource<OmpEngine> source(engine, KernelChoice::kAuto, spec, s, 3000, &tap);
  const ScenarioResult run = run_scenario("x", spec, source, s);
  CHECK(engine.book_calls == 0);
  CHECK(engine.book_pieces >= 9);
  BooksReport report;
  PathTeam alone;
  tap.add_to(report, "baseline", s.paths, alone, source.tail_lines());
  REQUIRE(report.nodes.size() == tree.nodes.size());
  for (std::size_t n = 0; n < tree.nodes.size(); ++n) {
    CAPTURE(n, tree.nodes[n].name);
    SimSpec book(market, tree.portfolio_of(all, static_cast<int>(n)), sim);
    book.set_importance_shift(shift);
    RunSettings own = s;
    own.components = false;
    const ScenarioResult want = reference_run(book, own);
    const BookScenario& got = report.nodes[n].scenarios.at(0);
    CHECK(got.mean_loss == want.mean_loss);
    CHECK(got.effective_tail_paths == want.importance.ess_tail);
    REQUIRE(got.levels.size() == want.levels.size());
    for (std::size_t l = 0; l < want.levels.size(); ++l) {
      CHECK(got.levels[l].var == want.levels[l].var);
      CHECK(got.levels[l].es == want.levels[l].es);
    }
  }
  CHECK(report.nodes[0].scenarios[0].levels[1].es == run.levels[1].es);
  testing::check_contributions_add_up(report, tree);
}

TEST_CASE(
    "a book hierarchy whose books settle options and move implied vols on the device "
    "source: each book keeps its own marks in the run's pass, its figures its own reference "
    "run's, plain and weighted",
    "[device][books]") {
  const testing::Book b(testing::kDesksSurfaces, testing::kDesksExpiring);
  const BookTree tree = book_tree(b.portfolio);
  const SimSettings sim{5, 2};
  for (const bool weighted : {false, true}) {
    CAPTURE(weighted);
    SimSpec spec(b.market, b.portfolio, sim);
    REQUIRE(needs_day_marks(spec.book()));
    ImportanceShift shift;
    if (weighted) {
      shift = testing::some_importance_shift(spec);
      spec.set_importance_shift(shift);
    }
    RunSettings s = run_settings(8009, 31);
    s.confidences = {0.95, 0.99};
    const CpuBackend cpu(2);
    BooksTap tap(b.market, b.portfolio, tree, sim, nullptr, cpu, s, nullptr);
    if (weighted) tap.weigh(shift);
    OmpEngine engine(spec, 900);
    engine.books_piece = 1500;
    DevicePathSource<OmpEngine> source(engine, KernelChoice::kAuto, spec, s, 2500, &tap);
    const ScenarioResult run = run_scenario("x", spec, source, s);
    CHECK(engine.book_calls == 0);
    BooksReport report;
    PathTeam alone;
    tap.add_to(report, "baseline", s.paths, alone, source.tail_lines());
    REQUIRE(report.nodes.size() == tree.nodes.size());
    int marked = 0;
    for (std::size_t n = 0; n < tree.nodes.size(); ++n) {
      CAPTURE(n, tree.nodes[n].name);
      SimSpec book(b.market, tree.portfolio_of(b.portfolio, static_cast<int>(n)), sim);
      marked += needs_day_marks(book.book()) ? 1 : 0;
      if (weighted) book.set_importance_shift(shift);
      RunSettings own = s;
      own.components = false;
      const ScenarioResult want = reference_run(book, own);
      const BookScenario& got = report.nodes[n].scenarios.at(0);
      CHECK(got.mean_loss == want.mean_loss);
      REQUIRE(got.levels.size() == want.levels.size());
      for (std::size_t l = 0; l < want.levels.size(); ++l) {
        CHECK(got.levels[l].var == want.levels[l].var);
        CHECK(got.levels[l].es == want.levels[l].es);
      }
    }
    CHECK(marked >= 4);  // the top, both desks and book A1 keep marks; book A2 does not
    CHECK(marked < static_cast<int>(tree.nodes.size()));
    CHECK(report.nodes[0].scenarios[0].levels[1].es == run.levels[1].es);
    testing::check_contributions_add_up(report, tree);
  }
}
