// Messages a user can act on (issue "nothing wrong, nothing lost", class 5): a mistyped command
// is named with the closest one, text echoed back is bounded and its control characters
// escaped, an out-of-range option names its range, not a symptom of it, the option at fault is
// the one named, repeated arguments follow one rule, a price file that is no ticker is said, and
// report.md escapes input text. Exit 2 each refusal.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../cli_util.hpp"
#include "../test_util.hpp"

using namespace chipshock::testing;
using Catch::Matchers::Contains;

namespace {
const std::string kRun = kSampleRun + "--backend cpu --dry-run ";
}  // namespace

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
      // one rule for repeated arguments: a single-valued option once, a repeatable one's
      // values once each
      {kRun + "--paths 10k --paths 20k", "--paths: given more than once"},
      {kRun + "--seed 1 --seed 2", "--seed: given more than once"},
      {kRun + "--replay 2025-01-27 --replay 2025-01-27", "--replay: '2025-01-27' is given twice"},
      {kRun + "--replay-window 2025-01-27:2025-01-29 --replay-window 2025-01-27:2025-01-29",
       "--replay-window: '2025-01-27:2025-01-29' is given twice"},
      {kRun + "--scenario export_restrictions --scenario export_restrictions", "given twice"},
      // the option at fault is the one named
      {kRun + "--target-rel-error 0.01 --max-paths 1e13",
       "--max-paths: keeping the loss tail of 10000000000000 paths"},
      {kRun + "--paths 10k --confidence 0.99999", "or a lower --confidence"},
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

TEST_CASE("a price file whose name is no ticker is said, not skipped", "[hostile][messages]") {
  TempDir tmp;
  for (const char* t : {"AAA", "BBB"}) {
    std::string closes = "date,close\n";
    for (int m = 1; m <= 3; ++m)
      for (int d = 1; d <= 28; ++d)
        closes += "2024-0" + std::to_string(m) + (d < 10 ? "-0" : "-") + std::to_string(d) + "," +
                  std::to_string(100 + (d * 7 + m * 3 + t[0]) % 11) + "\n";
    tmp.write(std::string(t) + ".csv", closes);
  }
  const std::string args =
      "calibrate --prices '" + tmp.path().string() + "' --window 30 --quiet --out -";
  REQUIRE(run_chipshock(args).code == 0);
  tmp.write("BRK B.csv", "date,close\n");
  const CliResult r = run_chipshock(args);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("BRK B.csv") && Contains("'BRK B' is not a ticker name"));
  // With the tickers named, the other file does not matter.
  CHECK(run_chipshock(args + " --tickers AAA,BBB").code == 0);
}

TEST_CASE("text from input files is echoed bounded, control characters escaped",
          "[hostile][messages]") {
  TempDir tmp;
  // An unknown ticker of 5,000 characters with an escape sequence in it.
  tmp.write("p.toml", "name = \"b\"\n[[positions]]\nticker = \"\\u001b[2J" +
                          std::string(5000, 'N') + "\"\nquantity = 1\n");
  const CliResult r = run_chipshock("run --market scenarios/market/ai_chips.toml --portfolio '" +
                                    tmp.file("p.toml") + "' --backend cpu --dry-run");
  CHECK(r.code == 2);
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.size() < 2600);
}

TEST_CASE("report.md escapes input text as report.html does", "[hostile][messages]") {
  TempDir tmp;
  tmp.write("p.toml",
            "name = \"Evil | book <img src=x> [link](http://e.x) *em* _u_\"\n"
            "[[positions]]\nticker = \"NVDA\"\nquantity = 10\n");
  tmp.write(
      "s.toml",
      "name = \"evil\"\ndescription = \"# Heading\\n- item\\n| a | b | <script>x</script>\"\n"
      "source = \"1. first `tick` ![img](y)\"\n[[jumps]]\nday = 1\nreturns = { NVDA = -0.1 }\n");
  const CliResult r =
      run_chipshock("run --market scenarios/market/ai_chips.toml --portfolio '" +
                    tmp.file("p.toml") + "' --scenario '" + tmp.file("s.toml") +
                    "' --backend cpu --paths 2000 --quiet --out '" + tmp.file("out") + "'");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const std::string md = slurp_file(tmp.file("out/report.md"));
  CHECK_THAT(md, Contains("# chipshock risk report: Evil \\| book \\<img src=x\\> \\[link\\]"));
  CHECK_THAT(md, Contains("\\*em\\* \\_u\\_"));
  CHECK_THAT(md, Contains("\\# Heading - item \\| a \\| b \\| \\<script\\>"));
  CHECK_THAT(md, Contains("1\\. first \\`tick\\` \\!\\[img\\](y)"));
  CHECK(md.find("<script>") == std::string::npos);
  for (std::size_t at = md.find("<img"); at != std::string::npos; at = md.find("<img", at + 1))
    CHECK(md[at - 1] == '\\');  // only as the escaped, literal text
  CHECK(md.find("\n# Heading") == std::string::npos);
}

TEST_CASE("a dry run counts --stop-loss and what-if in its estimate (class 6)",
          "[hostile][messages]") {
  const CliResult r = run_chipshock(kRun + "--paths 20k --horizon 300 --stop-loss 500000");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Contains("--stop-loss: daily values of ") && Contains("over 300 days, about"));
  const CliResult w =
      run_chipshock(kRun + "--paths 20k --what-if scenarios/portfolio/what_if_nvda_hedge.toml");
  INFO(w.err);
  REQUIRE(w.code == 0);
  CHECK_THAT(w.out, Contains("20000 paths x 2 scenario(s)"));  // the book with and without it
}
