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

// Two assets X and Y, and a firm of two desks over three books (a parent's own positions
// included), options among them: the book hierarchy's tests.
inline const char* const kDesksTwoAssets =
    "currency = \"USD\"\nrate = 0.03\n[assets.X]\nspot = 100.0\nvol = 0.30\ndrift = 0.08\n"
    "[assets.Y]\nspot = 50.0\nvol = 0.45\ndividend_yield = 0.02\n"
    "[correlation]\ntickers = [\"X\", \"Y\"]\nmatrix = [[1.0, 0.6], [0.6, 1.0]]\n";
inline const char* const kDesks =
    "name = \"firm\"\ncash = 100\n"
    "[[books]]\nname = \"desk A\"\n"
    "[[books]]\nname = \"book A1\"\nparent = \"desk A\"\ncash = 7\n"
    "[[books]]\nname = \"book A2\"\nparent = \"desk A\"\n"
    "[[books]]\nname = \"desk B\"\n"
    "[[positions]]\nticker = \"X\"\nquantity = 1000\nbook = \"book A1\"\n"
    "[[positions]]\nticker = \"Y\"\ntype = \"put\"\nquantity = 800\nstrike = 45\n"
    "expiry_days = 63\nbook = \"book A2\"\n"
    "[[positions]]\nticker = \"Y\"\nquantity = -500\nbook = \"desk A\"\n"
    "[[positions]]\nticker = \"Y\"\nquantity = 2000\nbook = \"desk B\"\n"
    "[[positions]]\nticker = \"X\"\ntype = \"call\"\nquantity = -300\nstrike = 110\n"
    "expiry_days = 30\nbook = \"desk B\"\n";
// The same market with surfaces whose vols move (X: spot beta; Y: spot beta and vol-of-vol),
// and the desks with options that settle inside a 5-day horizon (an American put on X expiring
// on day 3 in book A1, a European call on Y on day 4 in desk B): books that keep their own
// settlements and vol factors on shared paths.
inline const char* const kDesksSurfaces =
    "currency = \"USD\"\nrate = 0.03\nimplied_vol_correlation = 0.4\n[assets.X]\n"
    "spot = 100.0\nvol = 0.30\ndrift = 0.08\nimplied_vol = { atm = 0.32, spot_beta = -1.1 }\n"
    "[assets.Y]\nspot = 50.0\nvol = 0.45\ndividend_yield = 0.02\n"
    "implied_vol = { atm = 0.5, spot_beta = -0.8, vol_of_vol = 1.1 }\n"
    "[correlation]\ntickers = [\"X\", \"Y\"]\nmatrix = [[1.0, 0.6], [0.6, 1.0]]\n";
inline const std::string kDesksExpiring =
    std::string(kDesks) +
    "[[positions]]\nticker = \"X\"\ntype = \"put\"\nquantity = 400\nstrike = 104\n"
    "expiry_days = 3\nstyle = \"american\"\nbook = \"book A1\"\n"
    "[[positions]]\nticker = \"Y\"\ntype = \"call\"\nquantity = -600\nstrike = 48\n"
    "expiry_days = 4\nbook = \"desk B\"\n";

}  // namespace chipshock::testing
