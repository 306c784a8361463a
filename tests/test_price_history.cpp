// Price files: good folders load and inner-join on date; every malformed file is refused with
// an InputError naming the file, the line and the column.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "host/history/calendar.hpp"
#include "host/history/price_history.hpp"
#include "host/input_error.hpp"
#include "test_util.hpp"

using namespace chipshock;
using Catch::Matchers::Contains;
using chipshock::testing::TempDir;

namespace {

std::string load_error(const TempDir& dir, const std::vector<std::string>& tickers) {
  try {
    load_price_history(dir.path().string(), tickers);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("calendar arithmetic round-trips ISO dates", "[history]") {
  CHECK(day_number("1970-01-01") == 0);
  CHECK(day_number("2025-01-24") - day_number("2024-12-24") == 31);
  CHECK(day_number("2024-03-01") - day_number("2024-02-28") == 2);  // leap year
  CHECK(iso_date(day_number("2025-01-27")) == "2025-01-27");
  CHECK(iso_date(day_number("1900-03-01")) == "1900-03-01");
  CHECK(weekday(day_number("2025-01-27")) == 0);  // a Monday
  CHECK(weekday(day_number("2025-01-25")) == 5);
}

TEST_CASE("a folder of price files loads in the order asked, inner-joined on date", "[history]") {
  TempDir dir;
  dir.write("AAA.csv",
            "date,close\n2025-01-02,10.0\n2025-01-03,11.0\n2025-01-06,12.5\n2025-01-07,12.0\n");
  // BBB lacks 2025-01-03, has an extra 2025-01-08; CRLF line endings and a byte-order mark.
  dir.write("BBB.csv",
            "\xEF\xBB\xBF"
            "date,close\r\n2025-01-02,100\r\n2025-01-06,101.5\r\n2025-01-07,99\r\n"
            "2025-01-08,98\r\n\r\n");
  dir.write("notes.txt", "not a price file");
  CHECK(available_tickers(dir.path().string()) == std::vector<std::string>{"AAA", "BBB"});
  // A .csv whose name is no ticker is reported, not skipped (issue 16), where the folder is
  // read as every CSV in it; with the tickers named, it does not matter.
  dir.write("bad name.csv", "date,close\n");
  CHECK(available_tickers(dir.path().string()) == std::vector<std::string>{"AAA", "BBB"});
  CHECK_THROWS_WITH(every_ticker_file(dir.path().string()),
                    Contains("bad name.csv") && Contains("is not a ticker name"));

  const PriceHistory h = load_price_history(dir.path().string(), {"BBB", "AAA"});
  CHECK(h.tickers == std::vector<std::string>{"BBB", "AAA"});
  CHECK(h.dates == std::vector<std::string>{"2025-01-02", "2025-01-06", "2025-01-07"});
  REQUIRE(h.closes.size() == 6);
  CHECK(h.close(0, 0) == 100.0);
  CHECK(h.close(0, 1) == 10.0);
  CHECK(h.close(1, 0) == 101.5);
  CHECK(h.close(2, 1) == 12.0);
  CHECK(h.index_of_date("2025-01-06") == 1);
  CHECK(h.index_of_date("2025-01-03") == -1);
  CHECK(h.file_first_dates == std::vector<std::string>{"2025-01-02", "2025-01-02"});
  REQUIRE(h.notes.size() == 2);
  CHECK_THAT(h.notes[0], Contains("BBB.csv: 1 of 4 dates dropped") && Contains("2025-01-08"));
  CHECK_THAT(h.notes[1], Contains("AAA.csv: 1 of 4 dates dropped") && Contains("2025-01-03"));

  // No list: every file, sorted, once the odd one is gone.
  CHECK_THROWS_AS(load_price_history(dir.path().string(), {}), InputError);
  std::filesystem::remove(dir.path() / "bad name.csv");
  CHECK(load_price_history(dir.path().string(), {}).tickers ==
        std::vector<std::string>{"AAA", "BBB"});
}

TEST_CASE("gaps of more than five calendar days between common dates are noted", "[history]") {
  TempDir dir;
  dir.write("A.csv", "date,close\n2025-01-02,1\n2025-01-03,1.1\n2025-01-13,1.2\n");
  const PriceHistory h = load_price_history(dir.path().string(), {"A"});
  REQUIRE(h.notes.size() == 1);
  CHECK_THAT(h.notes[0], Contains("gap of 10 calendar days") && Contains("2025-01-03") &&
                             Contains("2025-01-13"));
}

TEST_CASE("the sample price folder loads: 20 tickers, ARM limits the common history", "[history]") {
  const PriceHistory h = load_price_history(testing::source_path("scenarios/data/prices"), {});
  CHECK(h.tickers.size() == 20);
  CHECK(h.dates.front() == "2023-09-14");
  CHECK(h.dates.back() == "2026-07-31");
  CHECK(h.dates.size() == 722);
  REQUIRE(h.tickers[12] == "NVDA");  // sorted: AAPL AMD AMZN ARM ASML AVGO GOOGL INTC ...
  const int d = h.index_of_date("2025-01-24");
  REQUIRE(d >= 0);
  CHECK(h.close(static_cast<std::size_t>(d), 12) == Approx(142.4073).margin(1e-4));
}

TEST_CASE("bad price files name the file, the line and the column", "[history][errors]") {
  struct Case {
    std::string text, expect1, expect2;
  };
  const std::string ok = "date,close\n2025-01-02,10\n";
  const std::vector<Case> cases = {
      {"", "A.csv:1: header", "empty file"},
      {"Date;Close\n2025-01-02,10\n", "A.csv:1: header", "expected 'date,close'"},
      {"\n2025-01-02,10\n", "A.csv:1: header", "empty first line"},
      {"date,close\n", "A.csv", "no prices"},
      {ok + "2025-01-03,10,11\n", "A.csv:3: row", "found 3"},
      {ok + "2025-01-03\n", "A.csv:3: row", "found 1"},
      {ok + "2025-13-01,10\n", "A.csv:3: date", "YYYY-MM-DD"},
      {ok + "2025-02-30,10\n", "A.csv:3: date", "'2025-02-30'"},
      {ok + "01/03/2025,10\n", "A.csv:3: date", "YYYY-MM-DD"},
      {ok + "2025-01-06,10\n2025-01-03,10\n", "A.csv:4: date", "strictly ascending"},
      {ok + "2025-01-02,11\n", "A.csv:3: date", "duplicate date 2025-01-02 (also on line 2)"},
      {ok + "2025-01-03,0\n", "A.csv:3: close", "positive"},
      {ok + "2025-01-03,-4.5\n", "A.csv:3: close", "positive"},
      {ok + "2025-01-03,nan\n", "A.csv:3: close", "not a finite number"},
      {ok + "2025-01-03,inf\n", "A.csv:3: close", "not a finite number"},
      {ok + "2025-01-03,1e999\n", "A.csv:3: close", "not a finite number"},
      {ok + "2025-01-03,abc\n", "A.csv:3: close", "not a number"},
      {ok + "2025-01-03,12.5x\n", "A.csv:3: close", "not a number"},
      {ok + "2025-01-03,0x10\n", "A.csv:3: close", "not a decimal number"},
      {ok + "2025-01-03,\n", "A.csv:3: close", "empty"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    dir.write("A.csv", c.text);
    const std::string err = load_error(dir, {"A"});
    CAPTURE(c.text);
    CHECK_THAT(err, Contains(c.expect1) && Contains(c.expect2));
  }
}

TEST_CASE("missing folders and files, and dates no file shares, are refused", "[history][errors]") {
  TempDir dir;
  dir.write("A.csv", "date,close\n2025-01-02,10\n");
  dir.write("B.csv", "date,close\n2025-01-03,10\n");
  std::string err = load_error(dir, {"A", "C"});
  CHECK_THAT(err, Contains("C.csv: cannot open file: no such file"));
  try {
    load_price_history(dir.path().string(), {"C"});
  } catch (const InputError& e) {
    CHECK_THAT(e.hint(), Contains("A, B"));
  }
  CHECK_THAT(load_error(dir, {"A", "A"}), Contains("asked for twice"));
  CHECK_THAT(load_error(dir, {"A", "B"}), Contains("no date is common to all 2 price files"));
  CHECK_THAT(load_error(dir, {"../A"}), Contains("not a ticker name"));
  CHECK_THROWS_WITH(load_price_history(dir.file("nowhere"), {}), Contains("no such folder"));
  CHECK_THROWS_WITH(available_tickers(dir.file("A.csv")), Contains("not a folder"));
  TempDir empty;
  CHECK_THROWS_WITH(load_price_history(empty.path().string(), {}),
                    Contains("no <TICKER>.csv files"));
}
