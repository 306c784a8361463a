// A market and a portfolio loaded from TOML text (written to a temporary folder), and the
// one-asset lognormal case several tests compare against closed forms.
#pragma once

#include <string>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "test_util.hpp"

namespace chipshock::testing {

struct Book {
  TempDir dir;
  Market market;
  Portfolio portfolio;
  Book(const std::string& market_text, const std::string& portfolio_text)
      : market(load_market(dir.write("m.toml", market_text))),
        portfolio(load_portfolio(dir.write("p.toml", portfolio_text), market)) {}
};

// One asset X: spot 100, vol 30%, drift 8%, rate 3%; a book of 1000 shares of it.
inline const char* const kOneAsset =
    "currency = \"USD\"\nrate = 0.03\n[assets.X]\nspot = 100.0\nvol = 0.30\ndrift = 0.08\n";
inline const char* const kOneAssetBook =
    "name = \"one\"\n[[positions]]\nticker = \"X\"\nquantity = 1000\n";

}  // namespace chipshock::testing
