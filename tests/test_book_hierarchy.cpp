// Many books, one set of paths (issue 19, part 4): the [[books]] hierarchy and several
// --portfolio files, each book revalued on the run's paths bit for bit as a run of it alone, the
// diversification at each parent and the Euler contributions that add up to the parent's ES.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "book_fixture.hpp"
#include "books_checks.hpp"
#include "cli_util.hpp"
#include "host/analytics/books.hpp"
#include "host/analytics/importance_sampling.hpp"
#include "host/component_risk.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/input_error.hpp"
#include "host/scenario/scenario.hpp"
#include "test_util.hpp"

using namespace chipshock;
using namespace chipshock::testing;

namespace {

InputError load_error(const std::string& portfolio) {
  try {
    const Book b(kDesksTwoAssets, portfolio);
    (void)book_tree(b.portfolio);
  } catch (const InputError& e) {
    return e;
  }
  FAIL("no InputError for:\n" << portfolio);
  throw std::logic_error("unreachable");
}

nlohmann::json run_json(const std::string& args) {
  const CliResult r = run_chipshock(args + " --json --quiet --backend cpu --threads 2");
  INFO(args << "\n" << r.err);
  REQUIRE(r.code == 0);
  return nlohmann::json::parse(r.out);
}

const nlohmann::json& node(const nlohmann::json& report, const std::string& name) {
  for (const nlohmann::json& n : report["books"]["nodes"])
    if (n["name"] == name) return n;
  FAIL("no book " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("the [[books]] tree: parents first, a parent's own positions in a leaf of their own, "
          "each book's positions those of its subtree", "[books]") {
  const Book b(kDesksTwoAssets, kDesks);
  const BookTree t = book_tree(b.portfolio);
  std::vector<std::string> names;
  for (const BookTreeNode& n : t.nodes) names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"firm", "desk A", "desk A (own positions)", "book A1",
                                          "book A2", "desk B"});
  CHECK(t.nodes[2].own_positions);
  CHECK(t.nodes[2].parent == 1);
  CHECK(t.nodes[1].children == std::vector<int>{2, 3, 4});
  CHECK(t.leaf == std::vector<int>{3, 4, 2, 5, 5});
  const Portfolio desk_a = t.portfolio_of(b.portfolio, 1);
  REQUIRE(desk_a.positions.size() == 3);
  CHECK(desk_a.positions[0].ticker == "X");
  CHECK(desk_a.positions[2].quantity == -500);
  CHECK(desk_a.cash == 7);
  CHECK(t.portfolio_of(b.portfolio, 0).cash == 107);
  CHECK(t.child_toward(0, 3) == 1);
  CHECK(t.child_toward(1, 3) == 3);
  CHECK(t.child_toward(5, 3) == -1);
  // no [[books]]: one book, no hierarchy
  CHECK_FALSE(book_tree(Book(kDesksTwoAssets,
                             "name = \"one\"\n[[positions]]\nticker = \"X\"\n"
                             "quantity = 1\n")
                            .portfolio)
                  .hierarchy());
}

TEST_CASE("a bad [[books]] table is refused with its file, line and field", "[books][errors]") {
  const std::string pos = "[[positions]]\nticker = \"X\"\nquantity = 1\n";
  struct Case {
    std::string text, field, says;
    long line;
  };
  const std::vector<Case> cases = {
      {"name = \"f\"\n[[books]]\nname = \"a\"\nparent = \"nobody\"\n" + pos, "books[0].parent",
       "unknown book 'nobody'", 2},
      {"name = \"f\"\n[[books]]\nname = \"a\"\nparent = \"b\"\n[[books]]\nname = \"b\"\n"
       "parent = \"a\"\n" + pos,
       "books[0].parent", "cycle", 2},
      {"name = \"f\"\n[[books]]\nname = \"a\"\n[[books]]\nname = \"a\"\n" + pos, "books[1].name",
       "a second book named 'a'", 4},
      {"name = \"f\"\n[[books]]\nname = \"f\"\n" + pos, "books[0].name", "the portfolio's own name",
       2},
      {"name = \"f\"\n[[books]]\nname = \"a\"\n" + pos + "book = \"z\"\n", "positions[0].book",
       "unknown book 'z'", 4},
      {"name = \"f\"\n[[books]]\nname = \"a\"\n" + pos, "books", "holds no position", 2},
      {"name = \"f\"\n[[books]]\nname = \"a\"\nowner = \"me\"\n" + pos, "books[0].owner", "", 4},
      {"name = \"f\"\n[[books]]\nname = \"\"\n" + pos, "books[0].name", "1 to 200 characters", 3},
      {"name = \"f\"\nbooks = 3\n" + pos, "books", "", 2},
      {"name = \"f\"\n[[books]]\nname = \"a (own positions)\"\n" + pos, "books[0].name",
       "own positions", 3},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    const InputError e = load_error(c.text);
    CHECK(e.field() == c.field);
    CHECK(e.line() == c.line);
    CHECK(e.file().find("p.toml") != std::string::npos);
    CHECK_THAT(std::string(e.what()), Catch::Contains(c.says));
  }
}

TEST_CASE(
    "simulate_books: each book's losses are a run of that book alone, bit for bit, on "
    "every instruction set and under a scenario, with expiring options and moving "
    "implied vols",
    "[books][cpu]") {
  // The desks as given, then with options that settle inside the horizon (an American put on X
  // expiring on day 3 in book A1, a European call on Y on day 4 in desk B) and surfaces whose
  // vols move (X: spot beta; Y: spot beta and vol-of-vol, its put and desk B's call priced off
  // it): each book keeps its own settlements and vol factors on the shared paths.
  for (const bool marked : {false, true}) {
    const Book b(marked ? kDesksSurfaces : kDesksTwoAssets, marked ? kDesksExpiring : kDesks);
    const BookTree t = book_tree(b.portfolio);
    const SimSettings sim{5, 2};
    const Scenario sc = load_scenario_text(
        "name = \"drop\"\ndescription = \"X and Y fall\"\nsource = \"a test\"\n[[jumps]]\n"
        "day = 2\nreturns = { X = -0.12, Y = -0.2 }\n",
        "drop.toml");
    for (const bool stressed : {false, true}) {
      std::unique_ptr<AppliedScenario> applied;
      if (stressed) applied = std::make_unique<AppliedScenario>(apply_scenario(sc, b.market, 5));
      const auto spec_of = [&](const Portfolio& pf) {
        return stressed ? std::make_unique<SimSpec>(b.market, pf, sim, *applied)
                        : std::make_unique<SimSpec>(b.market, pf, sim);
      };
      const std::unique_ptr<SimSpec> all = spec_of(b.portfolio);
      REQUIRE(needs_day_marks(all->book()) == marked);
      std::vector<std::unique_ptr<SimSpec>> specs;
      std::vector<const SimSpec*> books;
      for (std::size_t n = 0; n < t.nodes.size(); ++n) {
        specs.push_back(spec_of(t.portfolio_of(b.portfolio, static_cast<int>(n))));
        books.push_back(specs.back().get());
      }
      for (const CpuIsa isa : {CpuIsa::kAvx2, CpuIsa::kAvx512}) {
        if (!cpu_isa_supported(isa)) continue;
        const CpuBackend cpu(2, isa);
        const std::uint64_t first = 1000, count = 777;
        std::vector<double> losses(books.size() * count);
        cpu.simulate_books(*all, books, 9, first, count, losses.data());
        for (std::size_t n = 0; n < books.size(); ++n) {
          std::vector<double> alone(count);
          cpu.simulate_losses(*books[n], 9, first, count, alone.data());
          CAPTURE(marked, stressed, cpu_isa_name(isa), n);
          for (std::uint64_t j = 0; j < count; ++j)
            REQUIRE(losses[n * count + j] == alone[j]);  // bit for bit
        }
      }
    }
  }
}

TEST_CASE("run with a book hierarchy: the top is the book's run, each book a run of it alone, "
          "diversification and Euler contributions add up", "[books][cli]") {
  const std::string common =
      "run --market scenarios/market/ai_chips.toml --paths 40k --horizon 5 --seed 3 "
      "--scenario cheaper_model_disruption ";
  const nlohmann::json desks =
      run_json(common + "--portfolio scenarios/portfolio/ai_desks.toml");
  const nlohmann::json book = run_json(common + "--portfolio scenarios/portfolio/ai_book.toml");
  // the top is the whole book: its numbers are the plain run's, and the run's own entries too
  REQUIRE(desks["scenarios"].size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(desks["scenarios"][k]["var"] == book["scenarios"][k]["var"]);
    CHECK(desks["scenarios"][k]["es"] == book["scenarios"][k]["es"]);
    CHECK(desks["scenarios"][k]["components"] == book["scenarios"][k]["components"]);
    const nlohmann::json& top = desks["books"]["nodes"][0]["scenarios"][k];
    CHECK(top["var"] == book["scenarios"][k]["var"]);
    CHECK(top["es"] == book["scenarios"][k]["es"]);
    CHECK(top["mean_loss"] == book["scenarios"][k]["mean_loss"]);
  }
  CHECK(desks["books"]["top"] == "AI hardware long book");
  // a book equals a run of its positions alone: US chip designers = NVDA, AVGO, AMD
  TempDir tmp;
  const std::string alone = tmp.write(
      "us.toml", "name = \"US chip designers\"\n[[positions]]\nticker = \"NVDA\"\nquantity = "
                 "9963.0\n[[positions]]\nticker = \"AVGO\"\nquantity = 3083.0\n[[positions]]\n"
                 "ticker = \"AMD\"\nquantity = 1680.0\n");
  const nlohmann::json us = run_json(common + "--portfolio " + alone);
  const nlohmann::json& us_node = node(desks, "US chip designers");
  CHECK(us_node["parent"] == "semiconductors desk");
  CHECK(us_node["depth"] == 2);
  CHECK(us_node["positions"] == 3);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(us_node["scenarios"][k]["var"] == us["scenarios"][k]["var"]);
    CHECK(us_node["scenarios"][k]["es"] == us["scenarios"][k]["es"]);
    CHECK(us_node["scenarios"][k]["stdev_loss"] == us["scenarios"][k]["stdev_loss"]);
  }
  // at every parent: diversification = the children's ES less its own; the children's
  // contributions add up to the parent's ES (their shares to 1)
  for (const nlohmann::json& parent : desks["books"]["nodes"]) {
    for (std::size_t k = 0; k < 2; ++k) {
      const nlohmann::json& ps = parent["scenarios"][k];
      if (ps["children_es"].is_null()) continue;
      for (const auto& [level, es] : ps["es"].items()) {
        double children_es = 0, shares = 0, contributions = 0;
        for (const nlohmann::json& child : desks["books"]["nodes"]) {
          if (child["parent"] != parent["name"]) continue;
          const nlohmann::json& cs = child["scenarios"][k];
          children_es += cs["es"][level].get<double>();
          shares += cs["share_of_parent_es"][level].get<double>();
          contributions += cs["es_contribution_to_parent"][level].get<double>();
          // a book's Euler contribution is at most its own ES (subadditivity of ES)
          CHECK(cs["es_contribution_to_parent"][level].get<double>() <=
                cs["es"][level].get<double>() * (1 + 1e-12));
        }
        CAPTURE(parent["name"], level);
        CHECK(ps["children_es"][level].get<double>() == Approx(children_es).epsilon(1e-14));
        CHECK(ps["diversification_es"][level].get<double>() ==
              Approx(children_es - es.get<double>()).epsilon(1e-12));
        CHECK(ps["diversification_es"][level].get<double>() > 0);
        CHECK(shares == Approx(1.0).epsilon(1e-12));
        CHECK(contributions == Approx(es.get<double>()).epsilon(1e-9));
      }
    }
  }
  CHECK(node(desks, "semiconductors desk (own positions)")["own_positions"] == true);
  CHECK(desks["books"]["nodes"][0]["scenarios"][0]["es_contribution_to_parent"].is_null());
}

TEST_CASE("several --portfolio files: each a book under 'all books', each its own run; names "
          "that clash and options the books cannot run with are refused", "[books][cli]") {
  TempDir tmp;
  const std::string a = tmp.write(
      "a.toml", "name = \"alpha\"\ncash = 10\n[[positions]]\nticker = \"NVDA\"\nquantity = 100\n");
  const std::string b = tmp.write(
      "b.toml", "name = \"beta\"\n[[books]]\nname = \"beta puts\"\n[[positions]]\nticker = "
                "\"AMD\"\nquantity = 300\n[[positions]]\nticker = \"AMD\"\ntype = \"put\"\n"
                "quantity = 300\nstrike = 450\nexpiry_days = 40\nbook = \"beta puts\"\n");
  const std::string common =
      "run --market scenarios/market/ai_chips.toml --paths 20k --horizon 3 --seed 4 ";
  const nlohmann::json both = run_json(common + "--portfolio " + a + " --portfolio " + b);
  CHECK(both["books"]["top"] == "all books");
  CHECK(both["model"]["portfolio_file"] == a + ", " + b);
  const nlohmann::json alpha = run_json(common + "--portfolio " + a);
  const nlohmann::json beta = run_json(common + "--portfolio " + b);
  CHECK(node(both, "alpha")["scenarios"][0]["es"] == alpha["scenarios"][0]["es"]);
  CHECK(node(both, "beta")["scenarios"][0]["es"] == beta["scenarios"][0]["es"]);
  CHECK(node(both, "beta")["value"] == beta["portfolio"]["value"]);
  CHECK(node(both, "beta (own positions)")["parent"] == "beta");
  CHECK(node(both, "beta puts")["depth"] == 2);
  CHECK(both["portfolio"]["value"].get<double>() ==
        Approx(alpha["portfolio"]["value"].get<double>() + beta["portfolio"]["value"].get<double>())
            .epsilon(1e-14));
  // --dry-run counts the books' pass
  const CliResult dry = run_chipshock(common + "--portfolio " + a + " --portfolio " + b +
                                      " --backend cpu --dry-run");
  CHECK(dry.code == 0);
  CHECK_THAT(dry.out, Catch::Contains("5 books revalued on the same paths, about"));
  // the same name twice
  const CliResult clash = run_chipshock(common + "--portfolio " + a + " --portfolio " + a);
  CHECK(clash.code == 2);
  CHECK_THAT(clash.err, Catch::Contains("a.toml") && Catch::Contains("'alpha' is taken"));
  // --backend gpu and both run it too (tests/test_gpu_backend.cpp); without a GPU both exits 3,
  // not 2: nothing refuses the hierarchy
  const CliResult r =
      run_chipshock(common + "--portfolio scenarios/portfolio/ai_desks.toml --backend both");
  CAPTURE(r.err);
  CHECK(r.code != 2);
  CHECK_THAT(r.err, !Catch::Contains("book hierarchy"));
}

TEST_CASE(
    "importance sampling with a book hierarchy: every book weighed on the run's paths, each "
    "its own weighted run under the top's measure",
    "[books][importance]") {
  const Market market = load_market(source_path("scenarios/market/ai_chips.toml"));
  const Portfolio all = load_portfolio(source_path("scenarios/portfolio/ai_desks.toml"), market);
  const BookTree tree = book_tree(all);
  const SimSettings sim{5, 1};
  SimSpec spec(market, all, sim);
  const CpuBackend cpu(2);
  RunSettings s;
  s.paths = 24000;
  s.seed = 9;
  s.confidences = {0.95, 0.99};
  s.components = true;
  (void)plan_importance_sampling(spec, cpu, s.seed, 0.99);
  REQUIRE(spec.importance_sampling());  // the pilot took a measure for the top's book
  BooksTap tap(market, all, tree, sim, nullptr, cpu, s, nullptr);
  tap.weigh(spec.importance_shift());
  CHECK(tap.weighted());
  const std::unique_ptr<PathSource> source = cpu_path_source(spec, cpu, s, &tap);
  const ScenarioResult run = run_scenario("x", spec, *source, s);
  BooksReport report;
  PathTeam alone;
  tap.add_to(report, "baseline", s.paths, alone, source->tail_lines());
  REQUIRE(report.nodes.size() == tree.nodes.size());
  for (std::size_t n = 0; n < tree.nodes.size(); ++n) {
    CAPTURE(n, tree.nodes[n].name);
    SimSpec book(market, tree.portfolio_of(all, static_cast<int>(n)), sim);
    book.set_importance_shift(spec.importance_shift());
    RunSettings own = s;
    own.components = false;
    const ScenarioResult want = simulate_scenario("x", book, cpu, own);
    const BookScenario& got = report.nodes[n].scenarios.at(0);
    CHECK(got.paths == s.paths);
    CHECK(got.mean_loss == want.mean_loss);
    CHECK(got.effective_tail_paths == want.importance.ess_tail);
    CHECK(got.effective_tail_paths > 0);
    CHECK(got.effective_tail_paths < static_cast<double>(s.paths));
    REQUIRE(got.levels.size() == want.levels.size());
    for (std::size_t l = 0; l < want.levels.size(); ++l) {
      CHECK(got.levels[l].var == want.levels[l].var);
      CHECK(got.levels[l].es == want.levels[l].es);
      CHECK(got.levels[l].es_lo == want.levels[l].es_lo);
    }
  }
  // the top is the run; each parent's weighted components add up to its ES
  CHECK(report.nodes[0].scenarios[0].levels[1].es == run.levels[1].es);
  testing::check_contributions_add_up(report, tree);
  // a tap weighed after its first paths is refused
  BooksTap late(market, all, tree, sim, nullptr, cpu, s, nullptr);
  std::vector<double> losses(64);
  SimSpec plain(market, all, sim);
  late.simulate(plain, cpu, s.seed, 0, 64, losses.data());
  late.folded(0, 64);
  CHECK_THROWS_AS(late.weigh(spec.importance_shift()), std::logic_error);
}

TEST_CASE("a weighed book hierarchy saved midway and restored folds to the uninterrupted books",
          "[books][importance][checkpoint]") {
  const Market market = load_market(source_path("scenarios/market/ai_chips.toml"));
  const Portfolio all = load_portfolio(source_path("scenarios/portfolio/ai_desks.toml"), market);
  const BookTree tree = book_tree(all);
  const SimSettings sim{2, 1};
  SimSpec spec(market, all, sim);
  const CpuBackend cpu(2);
  (void)plan_importance_sampling(spec, cpu, 3, 0.99);
  REQUIRE(spec.importance_sampling());
  RunSettings s;
  s.paths = 12000;
  s.seed = 3;
  s.confidences = {0.99};
  const auto fold = [&](BooksTap& tap, std::uint64_t first, std::uint64_t count) {
    std::vector<double> losses(count), log_weights(count);
    tap.simulate_weighted(spec, s.seed, first, count, losses.data(), log_weights.data());
    tap.folded(first, count);
  };
  const auto report_of = [&](BooksTap& tap) {
    BooksReport r;
    PathTeam alone;
    tap.add_to(r, "baseline", s.paths, alone, CpuTailLines(cpu));
    return r;
  };
  BooksTap whole(market, all, tree, sim, nullptr, cpu, s, nullptr);
  whole.weigh(spec.importance_shift());
  fold(whole, 0, 5000);
  fold(whole, 5000, 7000);
  BooksTap first(market, all, tree, sim, nullptr, cpu, s, nullptr);
  first.weigh(spec.importance_shift());
  fold(first, 0, 5000);
  const std::vector<std::string> images = first.checkpoint_images();
  BooksTap resumed(market, all, tree, sim, nullptr, cpu, s, nullptr);
  resumed.weigh(spec.importance_shift());
  CHECK(resumed.restore(images, "run.ckpt") == 5000);
  fold(resumed, 5000, 7000);
  const BooksReport a = report_of(whole), b = report_of(resumed);
  CHECK(std::isnan(a.nodes[0].scenarios[0].levels[0].es_contribution));  // the top has none
  for (std::size_t n = 1; n < tree.nodes.size(); ++n) {
    CAPTURE(n);
    CHECK(a.nodes[n].scenarios[0].levels[0].es == b.nodes[n].scenarios[0].levels[0].es);
    CHECK(a.nodes[n].scenarios[0].effective_tail_paths ==
          b.nodes[n].scenarios[0].effective_tail_paths);
    CHECK(a.nodes[n].scenarios[0].levels[0].es_contribution ==
          b.nodes[n].scenarios[0].levels[0].es_contribution);
  }
  // a plain run's tap does not take weighted books back, nor the reverse
  BooksTap plain(market, all, tree, sim, nullptr, cpu, s, nullptr);
  CHECK_THROWS_WITH(plain.restore(images, "run.ckpt"),
                    Catch::Contains("run.ckpt") && Catch::Contains("under importance sampling"));
}

TEST_CASE("run --importance-sampling with a book hierarchy reports every book, weighed",
          "[books][importance][cli]") {
  const nlohmann::json r = run_json(
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_desks.toml "
      "--paths 20k --horizon 3 --seed 4 --scenario cheaper_model_disruption "
      "--importance-sampling");
  REQUIRE(r["books"]["nodes"].size() == 6);
  for (std::size_t sc = 0; sc < 2; ++sc) {
    CAPTURE(sc);
    const nlohmann::json& top = r["books"]["nodes"][0]["scenarios"][sc];
    CHECK(top["es"] == r["scenarios"][sc]["es"]);
    for (const nlohmann::json& n : r["books"]["nodes"]) {
      CAPTURE(n["name"]);
      const nlohmann::json& b = n["scenarios"][sc];
      // a weighed run has an effective count; one whose pilot fell back to plain has none
      CHECK(b["effective_tail_paths"].is_number() ==
            (r["scenarios"][sc]["sampling"]["method"] == "importance"));
    }
  }
}

TEST_CASE("a positions table's book column makes books under the file's own", "[books][csv]") {
  TempDir tmp;
  const std::string csv = tmp.write(
      "desk.csv", "ticker,quantity,book\nNVDA,100,growth\nAMD,200,growth\nMSFT,50,quality\n"
                  "AAPL,70,\n");
  const Market m = load_market(std::string(CHIPSHOCK_SOURCE_DIR) + "/scenarios/market/ai_chips.toml");
  const Portfolio pf = load_portfolio(csv, m);
  REQUIRE(pf.books.size() == 2);
  CHECK(pf.books[0].name == "growth");
  CHECK(pf.books[0].parent == "desk");
  CHECK(pf.books[0].line == 2);
  CHECK(pf.books[1].name == "quality");
  const BookTree t = book_tree(pf);
  std::vector<std::string> names;
  for (const BookTreeNode& n : t.nodes) names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"desk", "desk (own positions)", "growth", "quality"});
  // a bad book cell names its line and the column
  const std::string bad = tmp.write("bad.csv", "ticker,quantity,book\nNVDA,100,\"a\tb\"\n");
  try {
    (void)load_portfolio(bad, m);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.line() == 2);
    CHECK(e.field() == "book");
  }
}

TEST_CASE("run --stressed with a book hierarchy: each book's stressed figures too", "[books][cli]") {
  TempDir tmp;
  const CliResult cal = run_chipshock(
      "calibrate --prices scenarios/data/prices --tickers NVDA,AMD,TSM,AVGO,ASML,MU,MSFT,GOOGL,"
      "META,AMZN --stressed --portfolio scenarios/portfolio/ai_desks.toml --quiet --out " +
      tmp.file("stressed.toml"));
  REQUIRE(cal.code == 0);
  const std::string common =
      "run --market scenarios/market/ai_chips.toml --paths 20k --horizon 2 --seed 6 --stressed " +
      tmp.file("stressed.toml") + " ";
  const nlohmann::json desks = run_json(common + "--portfolio scenarios/portfolio/ai_desks.toml");
  REQUIRE(desks["scenarios"][1]["name"] == "stressed");
  const nlohmann::json& top = desks["books"]["nodes"][0]["scenarios"];
  REQUIRE(top.size() == 2);
  CHECK(top[1]["scenario"] == "stressed");
  CHECK(top[1]["es"] == desks["scenarios"][1]["es"]);  // the top is the run's stressed entry
  // a book's stressed figures are its own stressed run's
  const std::string alone = tmp.write(
      "platforms.toml", "name = \"platforms desk\"\n[[positions]]\nticker = \"MSFT\"\n"
                        "quantity = 2152.0\n[[positions]]\nticker = \"GOOGL\"\nquantity = "
                        "2246.0\n[[positions]]\nticker = \"META\"\nquantity = 1617.0\n"
                        "[[positions]]\nticker = \"AMZN\"\nquantity = 3314.0\n");
  const nlohmann::json platforms = run_json(common + "--portfolio " + alone);
  CHECK(node(desks, "platforms desk")["scenarios"][1]["es"] == platforms["scenarios"][1]["es"]);
}

TEST_CASE("replays and historical simulation per book: each its own, replay losses add up",
          "[books][cli]") {
  TempDir tmp;
  const std::string common =
      "run --market scenarios/market/ai_chips.toml --paths 20k --horizon 1 --seed 2 "
      "--method historical --replay 2025-01-27 ";
  const nlohmann::json desks = run_json(common + "--portfolio scenarios/portfolio/ai_desks.toml");
  const std::string alone = tmp.write(
      "us.toml", "name = \"US chip designers\"\n[[positions]]\nticker = \"NVDA\"\nquantity = "
                 "9963.0\n[[positions]]\nticker = \"AVGO\"\nquantity = 3083.0\n[[positions]]\n"
                 "ticker = \"AMD\"\nquantity = 1680.0\n");
  const nlohmann::json us = run_json(common + "--portfolio " + alone);
  const nlohmann::json& node_us = node(desks, "US chip designers");
  REQUIRE(node_us["scenarios"].size() == 3);
  for (std::size_t k = 1; k < 3; ++k) {  // historical, then the replay
    CAPTURE(k);
    CHECK(node_us["scenarios"][k]["scenario"] == us["scenarios"][k]["name"]);
    CHECK(node_us["scenarios"][k]["var"] == us["scenarios"][k]["var"]);
    CHECK(node_us["scenarios"][k]["es"] == us["scenarios"][k]["es"]);
  }
  CHECK(node_us["scenarios"][1]["es_contribution_to_parent"]["0.99"].is_null());
  // a replay's loss is additive: the children's losses make the parent's
  const nlohmann::json& semis = node(desks, "semiconductors desk")["scenarios"][2];
  CHECK(semis["children_es"]["0.99"].get<double>() ==
        Approx(semis["es"]["0.99"].get<double>()).epsilon(1e-12));
  CHECK(node_us["scenarios"][2]["es_contribution_to_parent"]["0.99"] ==
        node_us["scenarios"][2]["es"]["0.99"]);
}

TEST_CASE("books.csv carries report.json's book numbers", "[books][csv]") {
  TempDir tmp;
  const CliResult r = run_chipshock(
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_desks.toml "
      "--paths 20k --horizon 2 --seed 8 --backend cpu --quiet --out " + tmp.file("rep"));
  REQUIRE(r.code == 0);
  const nlohmann::json j = nlohmann::json::parse(slurp_file(tmp.file("rep/report.json")));
  const std::string csv = slurp_file(tmp.file("rep/books.csv"));
  CHECK(csv.rfind("scenario,book,parent,depth,confidence,var,es,", 0) == 0);
  std::size_t rows = 0;
  for (std::size_t at = 0; (at = csv.find("\r\n", at)) != std::string::npos; at += 2) ++rows;
  CHECK(rows == 1 + 6 * 3);  // header, six books at three levels
  CHECK(csv.find("\r\nbaseline,US chip designers,semiconductors desk,2,0.99,") != std::string::npos);
  const std::string md = slurp_file(tmp.file("rep/report.md"));
  CHECK_THAT(md, Catch::Contains("### Books"));
  CHECK_THAT(slurp_file(tmp.file("rep/report.html")), Catch::Contains("id=\"books\""));
  CHECK(j["books"]["nodes"].size() == 6);
}
