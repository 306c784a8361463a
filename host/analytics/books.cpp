#include "host/analytics/books.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "host/component_risk.hpp"
#include "host/input_error.hpp"
#include "host/run_phases.hpp"
#include "host/stats/accumulator_state.hpp"

namespace chipshock {

bool BookTree::holds(int k, int at) const {
  for (; at >= 0; at = nodes[static_cast<std::size_t>(at)].parent)
    if (at == k) return true;
  return false;
}

int BookTree::child_toward(int k, int at) const {
  for (; at >= 0; at = nodes[static_cast<std::size_t>(at)].parent)
    if (nodes[static_cast<std::size_t>(at)].parent == k) return at;
  return -1;
}

Portfolio BookTree::portfolio_of(const Portfolio& all, int k) const {
  Portfolio pf;
  pf.file = all.file;
  pf.name = nodes[static_cast<std::size_t>(k)].name;
  pf.as_of = all.as_of;
  for (std::size_t j = 0; j < all.positions.size(); ++j)
    if (holds(k, leaf[j])) {
      pf.positions.push_back(all.positions[j]);
      pf.positions.back().book.clear();
    }
  for (std::size_t n = 0; n < nodes.size(); ++n)
    if (holds(k, static_cast<int>(n))) pf.cash += nodes[n].cash;
  return pf;
}

BookTree book_tree(const Portfolio& pf) {
  constexpr std::size_t kMaxBookNodes = 1000;  // each keeps a loss tail and a batch of losses
  if (pf.books.size() > kMaxBookNodes)
    throw InputError(pf.file, 0, "books",
                     "more than " + std::to_string(kMaxBookNodes) + " books (" +
                         std::to_string(pf.books.size()) + ")",
                     "group positions into fewer books");
  BookTree t;
  std::map<std::string, int> index;
  t.nodes.push_back({pf.name, -1, 0, {}, false, pf.cash, 0});
  index[pf.name] = 0;
  // parents before children: add a book once its parent is in (load_portfolio ruled out cycles)
  std::vector<bool> added(pf.books.size(), false);
  for (std::size_t placed = 0; placed < pf.books.size();) {
    const std::size_t before = placed;
    for (std::size_t k = 0; k < pf.books.size(); ++k) {
      const BookDef& b = pf.books[k];
      if (added[k] || index.count(b.parent) == 0) continue;
      const int parent = index.at(b.parent);
      BookTreeNode node{b.name, parent, t.nodes[static_cast<std::size_t>(parent)].depth + 1,
                        {}, false, b.cash, b.line};
      index[b.name] = static_cast<int>(t.nodes.size());
      t.nodes[static_cast<std::size_t>(parent)].children.push_back(static_cast<int>(t.nodes.size()));
      t.nodes.push_back(node);
      added[k] = true;
      ++placed;
    }
    if (placed == before)
      throw InputError(pf.file, 0, "books", "the books' parents do not reach the portfolio");
  }
  t.leaf.assign(pf.positions.size(), 0);
  for (std::size_t j = 0; j < pf.positions.size(); ++j) {
    const std::string& book = pf.positions[j].book;
    t.leaf[j] = book.empty() ? 0 : index.at(book);
  }
  if (!t.hierarchy()) return t;
  // A parent's own positions go to a leaf of their own, "NAME (own positions)", inserted
  // before its other children (so parents still come before their children).
  for (std::size_t n = 0; n < t.nodes.size(); ++n) {
    if (t.nodes[n].children.empty()) continue;
    bool direct = false;
    for (int l : t.leaf) direct = direct || l == static_cast<int>(n);
    if (!direct) continue;
    const int own = static_cast<int>(t.nodes.size());
    t.nodes.push_back({t.nodes[n].name + " (own positions)", static_cast<int>(n),
                       t.nodes[n].depth + 1, {}, true, 0, 0});
    t.nodes[n].children.insert(t.nodes[n].children.begin(), own);
    for (int& l : t.leaf)
      if (l == static_cast<int>(n)) l = own;
  }
  // pre-order: each node followed by its subtree, children in their order
  std::vector<int> order;
  std::vector<int> stack{0};
  while (!stack.empty()) {
    const int n = stack.back();
    stack.pop_back();
    order.push_back(n);
    const auto& ch = t.nodes[static_cast<std::size_t>(n)].children;
    for (auto it = ch.rbegin(); it != ch.rend(); ++it) stack.push_back(*it);
  }
  std::vector<int> renumber(t.nodes.size());
  for (std::size_t k = 0; k < order.size(); ++k) renumber[static_cast<std::size_t>(order[k])] = static_cast<int>(k);
  BookTree sorted;
  for (int old : order) {
    BookTreeNode node = t.nodes[static_cast<std::size_t>(old)];
    if (node.parent >= 0) node.parent = renumber[static_cast<std::size_t>(node.parent)];
    for (int& c : node.children) c = renumber[static_cast<std::size_t>(c)];
    sorted.nodes.push_back(node);
  }
  for (int l : t.leaf) sorted.leaf.push_back(renumber[static_cast<std::size_t>(l)]);
  for (std::size_t n = 0; n < sorted.nodes.size(); ++n) {
    bool any = false;
    for (int l : sorted.leaf) any = any || sorted.holds(static_cast<int>(n), l);
    if (!any)
      throw InputError(pf.file, sorted.nodes[n].line, "books",
                       "the book '" + echo_text(sorted.nodes[n].name) +
                           "' holds no position (none names it or a book below it)",
                       "give it positions (book = \"" + echo_text(sorted.nodes[n].name) +
                           "\"), or remove it");
  }
  return sorted;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One more scenario for every node of report.nodes, from each node's own result (per_book[n])
// and, below the top, contribution(n, l): its contribution to its parent's ES at level l and
// its share of it (NaN where there is none); at each parent the sums of its children's VaR/ES.
void push_book_scenarios(
    BooksReport& report, const BookTree& tree, const std::string& scenario,
    const std::vector<ScenarioResult>& per_book,
    const std::function<std::pair<double, double>(std::size_t, std::size_t)>& contribution) {
  for (std::size_t n = 0; n < tree.nodes.size(); ++n) {
    const ScenarioResult& r = per_book[n];
    const BookTreeNode& t = tree.nodes[n];
    BookScenario b;
    b.scenario = scenario;
    b.paths = r.paths;
    b.non_finite = r.non_finite;
    b.mean_loss = r.mean_loss;
    b.stdev_loss = r.stdev_loss;
    b.worst_loss = r.worst_loss;
    for (std::size_t l = 0; l < r.levels.size(); ++l) {
      const LevelRisk& x = r.levels[l];
      BookLevel v{x.confidence, x.var, x.es, x.var_lo, x.var_hi, x.es_lo, x.es_hi,
                  kNaN,         kNaN,  kNaN, kNaN};
      if (!t.children.empty()) {
        v.children_var = v.children_es = 0;
        for (int c : t.children) {
          v.children_var += per_book[static_cast<std::size_t>(c)].levels[l].var;
          v.children_es += per_book[static_cast<std::size_t>(c)].levels[l].es;
        }
      }
      if (t.parent >= 0) std::tie(v.es_contribution, v.share_of_parent_es) = contribution(n, l);
      b.levels.push_back(v);
    }
    report.nodes[n].scenarios.push_back(b);
  }
}

}  // namespace

BooksTap::BooksTap(const Market& market, const Portfolio& all, const BookTree& tree,
                   const SimSettings& sim, const AppliedScenario* scenario,
                   const CpuBackend& backend, const RunSettings& settings, PathObserver* inner)
    : tree_(tree), backend_(backend), settings_(settings), inner_(inner) {
  for (std::size_t n = 0; n < tree.nodes.size(); ++n) {
    const Portfolio pf = tree.portfolio_of(all, static_cast<int>(n));
    specs_.push_back(scenario != nullptr ? std::make_unique<SimSpec>(market, pf, sim, *scenario)
                                         : std::make_unique<SimSpec>(market, pf, sim));
    books_.push_back(specs_.back().get());
    acc_.push_back(scenario_accumulator(*specs_.back(), settings));
  }
}

void BooksTap::weigh(const ImportanceShift& shift) {
  if (!pending_.empty() || acc_.front().count() + acc_.front().non_finite() > 0)
    throw std::logic_error("BooksTap::weigh: paths were folded already");
  if (shift.shift.empty()) throw std::invalid_argument("BooksTap::weigh: no measure");
  for (std::size_t n = 0; n < specs_.size(); ++n) {
    specs_[n]->set_importance_shift(shift);
    acc_[n] = LossAccumulator(specs_[n]->gross_exposure(), 1);  // as start_accumulator's
    acc_[n].keep_weighted();
  }
  weighted_ = true;
}

void BooksTap::simulate_weighted(const SimSpec& spec, std::uint64_t seed, std::uint64_t first,
                                 std::uint64_t count, double* losses, double* log_weights) {
  if (!weighted_) throw std::logic_error("BooksTap: weighted paths without a measure");
  Block b{first, count, std::vector<double>(books_.size() * count), std::vector<double>(count)};
  backend_.simulate_books(spec, books_, seed, first, count, b.losses.data(), b.log_weights.data());
  std::copy(b.losses.begin(), b.losses.begin() + static_cast<std::ptrdiff_t>(count), losses);
  std::copy(b.log_weights.begin(), b.log_weights.end(), log_weights);
  pending_.push_back(std::move(b));
}

void BooksTap::simulate(const SimSpec& spec, const DayValueSimulator& backend, std::uint64_t seed,
                        std::uint64_t first, std::uint64_t count, double* losses) {
  std::uint64_t inner = 0;  // the inner observer's paths: its losses are the run's
  if (inner_ != nullptr && first < inner_->paths()) {
    inner = std::min(count, inner_->paths() - first);
    inner_->simulate(spec, backend, seed, first, inner, losses);
  }
  // every node's book from the same paths: node 0 (the top) is the run's own book
  Block b{first, count, std::vector<double>(books_.size() * count), {}};
  backend_.simulate_books(spec, books_, seed, first, count, b.losses.data());
  for (std::uint64_t j = inner; j < count; ++j) losses[j] = b.losses[j];
  pending_.push_back(std::move(b));
}

void BooksTap::folded(std::uint64_t first, std::uint64_t count) {
  if (inner_ != nullptr) inner_->folded(first, count);
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    Block& b = *it;
    if (first < b.first || first + count > b.first + b.count) continue;
    fold_books(b.losses.data() + (first - b.first),
               b.log_weights.empty() ? nullptr : b.log_weights.data() + (first - b.first), b.count,
               first, count);
    if (first + count == b.first + b.count) pending_.erase(it);  // the block's last paths
    return;
  }
  throw std::logic_error("BooksTap: paths folded that were not simulated");
}

void BooksTap::fold_books(const double* losses, const double* log_weights, std::uint64_t stride,
                          std::uint64_t first, std::uint64_t count) {
  if ((log_weights != nullptr) != weighted_)
    throw std::logic_error("BooksTap: paths folded under another measure than the books'");
  if (weighted_) {
    const auto n_books = static_cast<std::int64_t>(books_.size());
#pragma omp parallel for num_threads(backend_.threads()) schedule(dynamic, 1)
    for (std::int64_t n = 0; n < n_books; ++n)
      acc_[static_cast<std::size_t>(n)].add_weighted(
          losses + static_cast<std::uint64_t>(n) * stride, log_weights,
          static_cast<std::size_t>(count), first);
    return;
  }
  // Each book's statistics: a thread per book where there are at least as many books as
  // threads, else each book's batch split between the threads (exact sums and top-k sets:
  // the same result either way).
  const int threads = backend_.threads();
  if (static_cast<int>(books_.size()) >= threads) {
    const auto n_books = static_cast<std::int64_t>(books_.size());
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (std::int64_t n = 0; n < n_books; ++n)
      acc_[static_cast<std::size_t>(n)].add(losses + static_cast<std::uint64_t>(n) * stride, count,
                                            first);
  } else {
    for (std::size_t n = 0; n < books_.size(); ++n)
      accumulate_losses(acc_[n], losses + n * stride, count, first, threads);
  }
}

void BooksTap::folded_books(const double* losses, const double* log_weights, std::uint64_t stride,
                            std::uint64_t first, std::uint64_t count) {
  fold_books(losses, log_weights, stride, first, count);
}

std::vector<std::string> BooksTap::checkpoint_images() const {
  std::vector<std::string> images;
  images.reserve(acc_.size());
  for (const LossAccumulator& a : acc_) images.push_back(encode_accumulator(a));
  return images;
}

std::uint64_t BooksTap::restore(const std::vector<std::string>& images, const std::string& file) {
  const auto refuse = [&](const std::string& why) {
    return InputError(file, 0, "--resume", "the checkpoint's book hierarchy " + why,
                      "run the same command, or delete the checkpoint to start over");
  };
  if (images.size() != acc_.size())
    throw refuse("holds " + std::to_string(images.size()) + " books; this run has " +
                 std::to_string(acc_.size()));
  std::vector<LossAccumulator> restored;
  for (const std::string& image : images) {
    try {
      restored.push_back(decode_accumulator(image));
    } catch (const AccumulatorStateError& e) {
      throw refuse(std::string("is damaged: ") + e.what());
    }
    const LossAccumulator& a = restored.back();
    const LossAccumulator& top = restored.front();
    if (a.weighted() != weighted_)
      throw refuse(weighted_ ? "was saved without importance sampling"
                             : "was saved under importance sampling");
    if (a.count() + a.non_finite() != top.count() + top.non_finite())
      throw refuse("holds books of different path counts");
  }
  acc_ = std::move(restored);
  pending_.clear();
  return acc_.front().count() + acc_.front().non_finite();
}

void BooksTap::add_to(BooksReport& report, const std::string& scenario, std::uint64_t paths,
                      PathTeam& team, const TailLineSimulator& lines) {
  pending_.clear();
  const std::size_t n_nodes = tree_.nodes.size();
  // every process's losses of each book, merged on rank 0 (exact: as one process)
  // (a team keeps only its last merge: each is copied out before the next)
  std::vector<LossAccumulator> all;
  for (std::size_t n = 0; n < n_nodes; ++n) {
    const LossAccumulator* m =
        team.gather(acc_[n], tail_size_needed(paths, settings_.tail_levels()));
    if (team.is_root()) all.push_back(*m);
  }
  if (!team.is_root()) return;
  std::vector<const LossAccumulator*> merged;
  for (const LossAccumulator& a : all) merged.push_back(&a);
  for (std::size_t n = 0; n < n_nodes; ++n)
    if (merged[n]->count() + merged[n]->non_finite() != paths)
      throw std::logic_error("BooksTap: a book's paths are not the run's");
  if (report.nodes.empty())
    for (std::size_t n = 0; n < n_nodes; ++n) {
      const BookTreeNode& t = tree_.nodes[n];
      BookNodeReport r;
      r.name = t.name;
      r.parent = t.parent >= 0 ? tree_.nodes[static_cast<std::size_t>(t.parent)].name : "";
      r.depth = t.depth;
      r.own_positions = t.own_positions;
      r.positions = specs_[n]->positions().size();
      r.value = specs_[n]->value0();
      report.nodes.push_back(r);
    }
  // each node's own VaR/ES; the parents' components (Euler), by child
  std::vector<ScenarioResult> results;
  RunSettings s = settings_;
  s.components = true;
  for (std::size_t n = 0; n < n_nodes; ++n) {
    s.components = !tree_.nodes[n].children.empty();
    results.push_back(summarize_run(tree_.nodes[n].name, *merged[n], paths, *specs_[n], s, lines));
  }
  s.components = true;
  // Each book's Euler contribution to its parent's ES: the parent's component ES of the
  // positions under it, each position sent to the child its leaf sits under (one pass over
  // each parent's components).
  const std::size_t n_levels = s.confidences.size();
  std::vector<std::vector<double>> contribution(n_nodes, std::vector<double>(n_levels, kNaN));
  for (std::size_t p = 0; p < n_nodes; ++p) {
    if (tree_.nodes[p].children.empty()) continue;
    std::map<std::string, int> leaf_of;  // the parent's line label -> the line's leaf
    const std::vector<PositionLine>& lines_of_parent = specs_[p]->positions();
    std::size_t j = 0;  // the parent's lines are the portfolio's its subtree holds, in order
    for (int leaf : tree_.leaf)
      if (tree_.holds(static_cast<int>(p), leaf)) leaf_of[lines_of_parent[j++].label] = leaf;
    for (const PositionContribution& c : results[p].components) {
      std::size_t l = 0;
      while (l < n_levels && s.confidences[l] != c.confidence) ++l;
      const auto it = leaf_of.find(c.position);
      if (l == n_levels || it == leaf_of.end()) continue;
      for (int child : tree_.nodes[p].children) {  // every child has a contribution, 0 or more
        double& sum = contribution[static_cast<std::size_t>(child)][l];
        if (std::isnan(sum)) sum = 0;
      }
      contribution[static_cast<std::size_t>(tree_.child_toward(static_cast<int>(p), it->second))]
                  [l] += c.es_contribution;
    }
  }
  const std::size_t first_new = report.nodes.front().scenarios.size();
  push_book_scenarios(report, tree_, scenario, results, [&](std::size_t n, std::size_t l) {
    const std::size_t p = static_cast<std::size_t>(tree_.nodes[n].parent);
    double parent_es = kNaN;
    for (const AllocationLevel& a : results[p].allocation.levels)
      if (a.confidence == s.confidences[l]) parent_es = a.es_resimulated;
    const double sum = contribution[n][l];
    return std::make_pair(sum, !std::isnan(sum) && parent_es != 0 ? sum / parent_es : kNaN);
  });
  for (std::size_t n = 0; n < n_nodes; ++n)
    if (merged[n]->weighted() && results[n].importance.tail_paths > 0)
      report.nodes[n].scenarios.at(first_new).effective_tail_paths = results[n].importance.ess_tail;
  results_ = std::move(results);
}

void add_history_to(BooksReport& report, const BookTree& tree,
                    const std::vector<ScenarioResult>& per_book) {
  if (report.nodes.size() != tree.nodes.size() || per_book.size() != tree.nodes.size())
    throw std::logic_error("add_history_to: the books and the results differ");
  // a replay's loss is additive: a book's contribution is its own loss
  const bool replay = per_book.front().kind == "replay";
  push_book_scenarios(report, tree, per_book.front().name, per_book,
                      [&](std::size_t n, std::size_t l) {
                        if (!replay) return std::make_pair(kNaN, kNaN);
                        const double es = per_book[n].levels[l].es;
                        const double parent =
                            per_book[static_cast<std::size_t>(tree.nodes[n].parent)].levels[l].es;
                        return std::make_pair(es, parent != 0 ? es / parent : kNaN);
                      });
}

}  // namespace chipshock
