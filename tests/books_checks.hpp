// Checks shared by the book hierarchy's tests (host/analytics/books.hpp).
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>

#include "host/analytics/books.hpp"

namespace chipshock::testing {

// At every parent of the tree, its children's Euler contributions to its ES add up to that ES
// (to 1e-9 of it), at every level of the report's scenario `scenario`.
inline void check_contributions_add_up(const BooksReport& report, const BookTree& tree,
                                       std::size_t scenario = 0) {
  for (std::size_t p = 0; p < tree.nodes.size(); ++p) {
    if (tree.nodes[p].children.empty()) continue;
    const BookScenario& parent = report.nodes.at(p).scenarios.at(scenario);
    for (std::size_t l = 0; l < parent.levels.size(); ++l) {
      double sum = 0;
      for (int c : tree.nodes[p].children)
        sum += report.nodes.at(static_cast<std::size_t>(c))
                   .scenarios.at(scenario)
                   .levels.at(l)
                   .es_contribution;
      const double es = parent.levels[l].es;
      CAPTURE(p, l, sum, es);
      CHECK(std::fabs(sum - es) <= 1e-9 * std::fabs(es));
    }
  }
}

}  // namespace chipshock::testing
