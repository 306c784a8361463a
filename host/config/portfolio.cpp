#include "host/config/portfolio.hpp"

#include <cmath>

#include "host/config/toml_reader.hpp"

namespace chipshock {

const char* position_type_name(PositionType t) {
  switch (t) {
    case PositionType::kCall: return "call";
    case PositionType::kPut: return "put";
    default: return "equity";
  }
}

std::vector<std::string> held_tickers(const Market& market, const Portfolio& portfolio) {
  std::vector<std::string> out;
  for (const Asset& a : market.assets)
    for (const Position& p : portfolio.positions)
      if (p.ticker == a.ticker) {
        out.push_back(a.ticker);
        break;
      }
  return out;
}

namespace {

constexpr long kMaxPositions = 100000;
constexpr long kMaxExpiryDays = 252 * 30;

Position read_position(const std::string& file, std::size_t k, const toml::node& node,
                       const Market& market) {
  const std::string prefix = "positions[" + std::to_string(k) + "].";
  if (!node.is_table())
    throw InputError(file, node_line(node), "positions[" + std::to_string(k) + "]",
                     "expected a table ([[positions]])");
  TomlReader r(*node.as_table(), file, prefix);
  Position p;
  p.line = r.line();
  p.ticker = r.string("ticker");
  if (market.index_of(p.ticker) < 0)
    r.fail("ticker", "unknown ticker '" + echo_text(p.ticker) + "'",
           "the market file " + market.file + " has no [assets." + echo_text(p.ticker) + "]");
  p.quantity = r.number("quantity");
  if (std::fabs(p.quantity) > 1e12) r.fail("quantity", "magnitude above 1e12 is not plausible");
  const std::string type = r.optional_string("type").value_or("equity");
  if (type == "equity") {
    p.type = PositionType::kEquity;
  } else if (type == "call") {
    p.type = PositionType::kCall;
  } else if (type == "put") {
    p.type = PositionType::kPut;
  } else {
    r.fail("type", "unknown position type '" + type + "'", "use equity, call or put");
  }
  if (p.type == PositionType::kEquity) {
    for (const char* key : {"strike", "expiry_days", "implied_vol"})
      if (r.has(key)) r.fail(key, "only options (type = \"call\" or \"put\") take this key");
  } else {
    p.strike = r.number("strike");
    if (!(p.strike > 0)) r.fail("strike", "must be positive");
    if (p.strike < 1e-6 || p.strike > 1e9) r.fail("strike", "must lie in [1e-6, 1e9]");
    p.expiry_days = static_cast<long>(r.integer("expiry_days"));
    p.expiry_line = r.line_of("expiry_days");
    if (p.expiry_days < 1 || p.expiry_days > kMaxExpiryDays)
      r.fail("expiry_days", "must be between 1 and " + std::to_string(kMaxExpiryDays) +
                                " trading days");
    if (const auto iv = r.optional_number("implied_vol")) {
      if (!(*iv > 0) || *iv > 10) r.fail("implied_vol", "must be in (0, 10] (annualised)");
      p.implied_vol = *iv;
    }
  }
  r.finish();
  return p;
}

Portfolio portfolio_from_toml(const toml::table& root, const std::string& path,
                              const Market& market) {
  Portfolio pf;
  pf.file = path;
  TomlReader r(root, path, "");
  pf.name = r.string("name");
  pf.cash = r.optional_number("cash").value_or(0.0);
  if (std::fabs(pf.cash) > 1e15) r.fail("cash", "magnitude above 1e15 is not plausible");
  const toml::array& positions = r.array("positions");
  if (positions.empty()) r.fail("positions", "no positions");
  if (static_cast<long>(positions.size()) > kMaxPositions)
    r.fail("positions", "more than " + std::to_string(kMaxPositions) + " positions");
  for (std::size_t k = 0; k < positions.size(); ++k)
    pf.positions.push_back(read_position(path, k, positions[k], market));
  r.finish();
  return pf;
}

}  // namespace

Portfolio load_portfolio(const std::string& path, const Market& market) {
  return portfolio_from_toml(parse_toml_file(path), path, market);
}

Portfolio load_portfolio_text(const std::string& text, const std::string& name,
                              const Market& market) {
  return portfolio_from_toml(parse_toml_text(text, name), name, market);
}

}  // namespace chipshock
