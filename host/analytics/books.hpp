// Many books, one set of paths: the portfolio's [[books]] hierarchy (or several --portfolio
// files under one top), each node's VaR/ES from the same simulated paths as the whole, the
// diversification benefit at each parent and each book's Euler contribution to its parent's ES.
//
// Every node's book is the positions of its subtree. The run simulates each path once; the CPU
// kernel revalues every node's book from the path's log-returns (CpuBackend::simulate_books), so
// a node's loss on path i is bit for bit the loss of a run of that book alone, and one more book
// costs a revaluation per path, not a simulation (a book with options expiring inside the horizon
// or implied-vol factors keeps its own settlements and factors on the shared paths, on either
// backend: kernels/book_losses.cuh on the GPU). On the GPU the
// device revalues every book in the run's own pass (kernels/gpu_engine.hpp's FoldBooks: the run's
// losses are its top's), and the books' losses come to the host a piece at a time
// (PathObserver::folded_books). Under importance sampling every book is weighed on the run's
// weighted paths (BooksTap::weigh). Each parent's Euler contributions come from its tail paths
// simulated again on the run's backend. A node with child books that also holds positions
// itself gets a leaf child "NAME (own positions)" for them, so that the children of every parent
// hold all its positions.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "host/config/portfolio.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

struct BookTreeNode {
  std::string name;
  int parent = -1;  // index of the parent node; -1 for the top
  int depth = 0;    // 0 for the top
  std::vector<int> children;
  bool own_positions = false;  // the "NAME (own positions)" leaf of a parent's direct positions
  double cash = 0;             // held by this node itself
  long line = 0;               // its [[books]] table (0: the portfolio, or a generated leaf)
};

struct BookTree {
  std::vector<BookTreeNode> nodes;  // [0] = the top; every parent before its children
  std::vector<int> leaf;            // the node each portfolio position sits in (its own book)
  // A hierarchy to report: more than the top alone.
  bool hierarchy() const { return nodes.size() > 1; }
  // Whether node k's subtree holds node `at`.
  bool holds(int k, int at) const;
  // The child of node k whose subtree holds node `at` (-1: none; `at` == k included).
  int child_toward(int k, int at) const;
  // Node k's book: the positions of its subtree, in portfolio order, and their cash.
  Portfolio portfolio_of(const Portfolio& all, int k) const;
};

// The tree of a portfolio's [[books]] (load_portfolio checked it: names unique, parents known,
// no cycle). Throws InputError naming the file and the [[books]] line of a book that holds no
// position in its subtree.
BookTree book_tree(const Portfolio& portfolio);

// One node's figures under one scenario.
struct BookLevel {
  double confidence = 0;
  double var = 0, es = 0, var_lo = 0, var_hi = 0, es_lo = 0, es_hi = 0;
  // Parents: the sums of their children's own VaR and ES (the diversification benefit is
  // children_es - es). NaN on a leaf.
  double children_var = 0, children_es = 0;
  // Below the top: the Euler contribution of this node's positions to its parent's ES (the
  // parent's component ES of the positions, which add up to the parent's ES), and its share of
  // it. NaN at the top.
  double es_contribution = 0, share_of_parent_es = 0;
};
struct BookScenario {
  std::string scenario;
  std::uint64_t paths = 0, non_finite = 0;
  double mean_loss = 0, stdev_loss = 0, worst_loss = 0;
  // Under importance sampling, Kish's effective number of the paths in the book's own tail (at
  // or beyond its VaR at the run's highest level): the measure aims at the top's tail, and a book
  // whose tail lies elsewhere has fewer. NaN for a plain run.
  double effective_tail_paths = std::numeric_limits<double>::quiet_NaN();
  std::vector<BookLevel> levels;
};
struct BookNodeReport {
  std::string name, parent;  // parent "" at the top
  int depth = 0;
  bool own_positions = false;
  std::size_t positions = 0;  // in its subtree
  double value = 0;           // today, cash included
  std::vector<BookScenario> scenarios;  // in the run's order
};
struct BooksReport {
  std::vector<BookNodeReport> nodes;  // the tree's order (parents first); empty: no hierarchy
  bool empty() const { return nodes.empty(); }
};

// The observer of one Monte Carlo run (the baseline or a scenario) that revalues every node's
// book on the run's paths as they are simulated and folds each node's losses into its own
// accumulator; the run's own losses are the top's. `inner` (may be null) is another observer of
// the same run's first paths (--stop-loss's PathRiskTap): its losses are the run's there.
class BooksTap final : public PathObserver {
 public:
  BooksTap(const Market& market, const Portfolio& all, const BookTree& tree, const SimSettings& sim,
           const AppliedScenario* scenario, const CpuBackend& backend, const RunSettings& settings,
           PathObserver* inner);
  // Importance sampling: every book's paths drawn under the run's measure (`shift`, the one its
  // pilot chose for the top's book), each book's losses weighted by the paths' likelihood ratios
  // (an unbiased estimate for every book; the measure aims at the top's tail). Before any path;
  // a later call is refused (std::logic_error).
  void weigh(const ImportanceShift& shift);
  bool weighted() const override { return weighted_; }
  std::uint64_t paths() const override { return ~std::uint64_t{0}; }
  // Every book's losses on the paths, kept until the run folds them (folded).
  void simulate(const SimSpec& spec, const DayValueSimulator& backend, std::uint64_t seed,
                std::uint64_t first, std::uint64_t count, double* losses) override;
  void simulate_weighted(const SimSpec& spec, std::uint64_t seed, std::uint64_t first,
                         std::uint64_t count, double* losses, double* log_weights) override;
  void folded(std::uint64_t first, std::uint64_t count) override;
  // The GPU's run: every book revalued on the device's paths in the run's own pass, their
  // losses folded as they come (a piece at a time).
  std::vector<const SimSpec*> device_books() const override { return books_; }
  void folded_books(const double* losses, const double* log_weights, std::uint64_t stride,
                    std::uint64_t first, std::uint64_t count) override;
  // --checkpoint: each node's accumulator (accumulator_state.hpp), in the tree's order; restore
  // takes them back, refusing images of another tree or damaged ones (InputError naming `file`).
  std::vector<std::string> checkpoint_images() const override;
  std::uint64_t restore(const std::vector<std::string>& images, const std::string& file) override;
  // After the run, over its first `paths` paths: every process's books merged on rank 0
  // through `team` (collective: every process calls it), and there each node's figures, into
  // report.nodes (appended per node on the first call, one scenario more on each later one).
  // lines: the run's backend's tail-path simulator, which gives each parent its components
  // (on the GPU, the device's: BackendPlan::tail_lines).
  void add_to(BooksReport& report, const std::string& scenario, std::uint64_t paths, PathTeam& team,
              const TailLineSimulator& lines);
  // On rank 0 after add_to: each node's figures as a run's result (the tree's order; a parent's
  // with its components), for the --backend both comparison.
  const std::vector<ScenarioResult>& node_results() const { return results_; }

 private:
  const BookTree& tree_;
  const CpuBackend& backend_;
  const RunSettings& settings_;
  PathObserver* inner_;
  std::vector<std::unique_ptr<SimSpec>> specs_;  // [node]
  std::vector<const SimSpec*> books_;
  std::vector<LossAccumulator> acc_;             // [node]
  std::vector<ScenarioResult> results_;          // [node], add_to's
  // Paths simulated and not folded yet: [first, first + count), book n's losses at
  // losses[n * count + k] (the histogram pilot's stay here on a process whose share they are not).
  struct Block {
    std::uint64_t first = 0, count = 0;
    std::vector<double> losses;
    std::vector<double> log_weights;  // [k], under importance sampling
  };
  std::vector<Block> pending_;
  bool weighted_ = false;
  // Each book's losses losses[n * stride + k], k < count, of paths first + k into its
  // accumulator; under importance sampling with the paths' log-likelihood ratios log_weights[k].
  void fold_books(const double* losses, const double* log_weights, std::uint64_t stride,
                  std::uint64_t first, std::uint64_t count);
};

// A replay's or historical simulation's result for every book (per_book[n]: node n's, the top
// first), as one more scenario of report.nodes (which the Monte Carlo runs filled first). A
// replay's loss is additive: each book's contribution to its parent is its own loss. A
// historical ES is not, and its scenarios' order is not kept: no contribution (NaN).
void add_history_to(BooksReport& report, const BookTree& tree,
                    const std::vector<ScenarioResult>& per_book);

}  // namespace chipshock
