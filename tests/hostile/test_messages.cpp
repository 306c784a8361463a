// Messages a user can act on (issue "nothing wrong, nothing lost", class 5): a mistyped command
// is named with the closest one, text echoed back is bounded and its control characters
// escaped, and an out-of-range option names its range, not a symptom of it. Exit 2 each.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../cli_util.hpp"
#include "../test_util.hpp"

using namespace chipshock::testing;
using Catch::Matchers::Contains;

TEST_CASE("messages name what is at fault and what to do", "[hostile][messages]") {
  struct Case {
    std::string args, expect;
  };
  const std::vector<Case> cases = {
      {"rn --market x", "unknown command 'rn'; did you mean 'run'?"},
      {"calibarte", "did you mean 'calibrate'?"},
      {"scenario", "did you mean 'scenarios'?"},
      {"backtests", "did you mean 'backtest'?"},
      {"zzz", "hint: the commands are run, scenarios, calibrate, backtest, reverse"},
      {"\"$(printf 'bad\\001name')\"", "unknown command 'bad\\x01name'"},  // sh, not bash
      {std::string(200, 'x'), "..."},  // echoed at most 60 characters
      {"calibrate --prices scenarios/data/prices --window -5 --out -",
       "--window: -5: must be between 30 and 100000 daily returns"},
      {"calibrate --prices scenarios/data/prices --window 100001 --out -",
       "must be between 30 and 100000"},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    const CliResult r = run_chipshock(c.args);
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains(c.expect));
    CHECK(r.err.size() < 600);  // bounded, whatever was given
  }
}
