#include "tests/fuzz/fuzz_targets.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "host/checkpoint/run_checkpoint.hpp"
#include "host/config/market.hpp"
#include "host/content_hash.hpp"
#include "host/config/portfolio.hpp"
#include "host/history/price_history.hpp"
#include "host/input_error.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/sim_spec.hpp"
#include "host/stats/accumulator_state.hpp"

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

// A refusal's message is what the CLI prints: one line, bounded, no control characters (issue
// "nothing wrong, nothing lost", class 5). A breach is a bug: abort, for libFuzzer to report.
void check_message(const InputError& e) {
  const std::string m = e.what();
  bool clean = m.size() <= 2003 && e.hint().size() <= 2003;
  for (const char c : m + e.hint())
    clean = clean && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  if (!clean) std::abort();
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
  } catch (const InputError& e) {
    check_message(e);
  }
}

void portfolio_input(const std::string& text) {
  try {
    const Portfolio p = load_portfolio_text(text, "fuzz_portfolio.toml", sample_market());
    SimSettings s;
    s.horizon_days = 10;
    const SimSpec spec(sample_market(), p, s);
  } catch (const InputError& e) {
    check_message(e);
  }
}

void scenario_input(const std::string& text) {
  try {
    const Scenario sc = load_scenario_text(text, "fuzz_scenario.toml");
    SimSettings s;
    s.horizon_days = 10;
    const AppliedScenario a = apply_scenario(sc, sample_market(), s.horizon_days);
    const SimSpec spec(sample_market(), sample_portfolio(), s, a);
  } catch (const InputError& e) {
    check_message(e);
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
  } catch (const InputError& e) {
    check_message(e);
  }
}

namespace {

// The bytes with their last 8 replaced by the FNV-1a of the others: the checksum that both a
// checkpoint and an accumulator image end with, made right, so that the fuzzer's mutations reach
// the parsing behind it rather than stopping at the checksum.
std::string with_checksum(const std::string& bytes) {
  if (bytes.size() < 8) return bytes;
  std::string out = bytes.substr(0, bytes.size() - 8);
  const std::uint64_t h = fnv1a64(out);
  for (int b = 0; b < 8; ++b) out += static_cast<char>((h >> (8 * b)) & 0xff);
  return out;
}

// An accumulator image that decodes must survive a round trip unchanged; one that does not is
// refused with AccumulatorStateError (the run turns it into exit 2, naming the checkpoint).
void image_round_trip(const std::string& image) {
  try {
    const std::string once = encode_accumulator(decode_accumulator(image));
    if (encode_accumulator(decode_accumulator(once)) != once) std::abort();
  } catch (const AccumulatorStateError&) {
  }
}

void checkpoint_bytes(const std::string& bytes) {
  RunCheckpoint c;
  try {
    c = decode_checkpoint(bytes, "fuzz.ckpt");
  } catch (const InputError& e) {
    check_message(e);
    return;
  }
  for (const ScenarioCheckpoint& sc : c.scenarios) {
    try {
      from_checkpoint(sc);
    } catch (const AccumulatorStateError&) {
    }
    image_round_trip(sc.state);
  }
  const std::string again = encode_checkpoint(c);
  if (encode_checkpoint(decode_checkpoint(again, "fuzz.ckpt")) != again) std::abort();
}

}  // namespace

void checkpoint_input(const std::string& bytes) {
  checkpoint_bytes(bytes);                 // as found on disk
  checkpoint_bytes(with_checksum(bytes));  // past the checksum: the header and the images
  image_round_trip(with_checksum(bytes));  // the bytes as one accumulator image
}

Target target_named(const std::string& name) {
  if (name == "market") return market_input;
  if (name == "portfolio") return portfolio_input;
  if (name == "scenario") return scenario_input;
  if (name == "price_csv") return price_csv_input;
  if (name == "checkpoint") return checkpoint_input;
  return nullptr;
}

}  // namespace chipshock::fuzz
