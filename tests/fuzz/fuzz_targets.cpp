#include "tests/fuzz/fuzz_targets.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/history/price_history.hpp"
#include "host/input_error.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/sim_spec.hpp"

namespace chipshock::fuzz {

namespace {

// The sample market and book the portfolio and scenario targets load against, kept small so that
// each input runs fast: two assets with exposures and sectors, one option.
const char* const kMarket = R"(currency = "USD"
rate = 0.04
[assets.NVDA]
spot = 120.0
vol = 0.5
sector = "semiconductors"
exposures = { ai_capex = 1.2, china_revenue = 0.17 }
[assets.AMD]
spot = 110.0
vol = 0.55
drift = 0.05
sector = "semiconductors"
exposures = { ai_capex = 1.0 }
[assets.MSFT]
spot = 400.0
vol = 0.25
[correlation]
tickers = ["NVDA", "AMD", "MSFT"]
matrix = [[1.0, 0.6, 0.3], [0.6, 1.0, 0.3], [0.3, 0.3, 1.0]]
)";

const char* const kPortfolio = R"(name = "fuzz book"
cash = 1000.0
[[positions]]
ticker = "NVDA"
quantity = 10
[[positions]]
ticker = "AMD"
type = "put"
quantity = 5
strike = 100
expiry_days = 21
)";

const Market& sample_market() {
  static const Market m = load_market_text(kMarket, "sample_market.toml");
  return m;
}

const Portfolio& sample_portfolio() {
  static const Portfolio p =
      load_portfolio_text(kPortfolio, "sample_portfolio.toml", sample_market());
  return p;
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

void market_input(const std::string& text) {
  try {
    const Market m = load_market_text(text, "fuzz_market.toml");
    Portfolio p;
    p.name = "one share";
    Position pos;
    pos.ticker = m.assets.front().ticker;
    pos.quantity = 1;
    p.positions.push_back(pos);
    const SimSpec spec(m, p, SimSettings{});
  } catch (const InputError&) {
  }
}

void portfolio_input(const std::string& text) {
  try {
    const Portfolio p = load_portfolio_text(text, "fuzz_portfolio.toml", sample_market());
    SimSettings s;
    s.horizon_days = 10;
    const SimSpec spec(sample_market(), p, s);
  } catch (const InputError&) {
  }
}

void scenario_input(const std::string& text) {
  try {
    const Scenario sc = load_scenario_text(text, "fuzz_scenario.toml");
    SimSettings s;
    s.horizon_days = 10;
    const AppliedScenario a = apply_scenario(sc, sample_market(), s.horizon_days);
    const SimSpec spec(sample_market(), sample_portfolio(), s, a);
  } catch (const InputError&) {
  }
}

// A folder of its own for the price files, removed at exit.
class ScratchDir {
 public:
  ScratchDir()
      : path_(std::filesystem::temp_directory_path() /
              ("chipshock-fuzz-" + std::to_string(getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void price_csv_input(const std::string& text) {
  static const ScratchDir scratch;
  const std::filesystem::path& dir = scratch.path();
  std::string a = text, b;
  std::vector<std::string> tickers = {"A"};
  const std::size_t sep = text.find("\n--\n");
  if (sep != std::string::npos) {
    a = text.substr(0, sep + 1);
    b = text.substr(sep + 4);
    tickers.push_back("B");
  }
  write(dir / "A.csv", a);
  write(dir / "B.csv", b);
  try {
    load_price_history(dir.string(), tickers);
  } catch (const InputError&) {
  }
}

Target target_named(const std::string& name) {
  if (name == "market") return market_input;
  if (name == "portfolio") return portfolio_input;
  if (name == "scenario") return scenario_input;
  if (name == "price_csv") return price_csv_input;
  return nullptr;
}

}  // namespace chipshock::fuzz
