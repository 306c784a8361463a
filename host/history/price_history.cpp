#include "host/history/price_history.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include "host/config/toml_reader.hpp"
#include "host/history/calendar.hpp"
#include "host/input_error.hpp"

namespace chipshock {

namespace fs = std::filesystem;

int PriceHistory::index_of_date(const std::string& d) const {
  const auto it = std::lower_bound(dates.begin(), dates.end(), d);
  return it != dates.end() && *it == d ? static_cast<int>(it - dates.begin()) : -1;
}

namespace {

constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{1} << 28;  // 256 MiB: ~10^7 rows
constexpr std::size_t kMaxGapNotes = 10;

std::string trim(const std::string& s) {
  const std::size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

void require_folder(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw InputError(dir, 0, "", "no such folder");
  if (!fs::is_directory(dir, ec))
    throw InputError(dir, 0, "", "not a folder",
                     "give the folder that holds the <TICKER>.csv files");
}

struct Series {
  std::vector<std::string> dates;
  std::vector<double> closes;
};

std::string read_text(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path, 0, "", "cannot open file: no such file");
  if (!fs::is_regular_file(path, ec))
    throw InputError(path, 0, "", "cannot open file: not a regular file");
  if (fs::file_size(path, ec) > kMaxFileBytes)
    throw InputError(path, 0, "", "file larger than 256 MiB: not a daily price file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open file (permission denied)");
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw InputError(path, 0, "", "cannot read file");
  return buf.str();
}

double parse_close(const std::string& path, long line, const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return InputError(path, line, "close", why,
                      "closes are positive decimal numbers, e.g. 142.4073");
  };
  if (text.empty()) throw bad("empty");
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) throw bad("'" + text + "' is not a number");
  if (text.find_first_of("xX") != std::string::npos)  // strtod also reads hexadecimal
    throw bad("'" + text + "' is not a decimal number");
  if (!std::isfinite(v)) throw bad("'" + text + "' is not a finite number");
  if (!(v > 0)) throw bad("must be positive, got " + text);
  return v;
}

Series read_series(const std::string& path) {
  const std::string text = read_text(path);
  std::istringstream in(text);
  std::string raw;
  long line = 0;
  Series s;
  bool header = false;
  std::vector<long> lines;  // line of each row, for duplicate-date messages
  while (std::getline(in, raw)) {
    ++line;
    if (line == 1 && raw.size() >= 3 && raw.compare(0, 3, "\xEF\xBB\xBF") == 0) raw.erase(0, 3);
    const std::string row = trim(raw);
    if (!header) {
      if (lower(row) != "date,close")
        throw InputError(path, line, "header",
                         row.empty() ? "empty first line"
                                     : "expected 'date,close', found '" + row.substr(0, 60) + "'",
                         "the first line of a price file is the header date,close");
      header = true;
      continue;
    }
    if (row.empty()) continue;
    const std::size_t comma = row.find(',');
    const std::size_t columns =
        static_cast<std::size_t>(std::count(row.begin(), row.end(), ',')) + 1;
    if (columns != 2)
      throw InputError(path, line, "row",
                       "expected 2 columns (date,close), found " + std::to_string(columns));
    const std::string date = trim(row.substr(0, comma));
    if (!valid_iso_date(date))
      throw InputError(path, line, "date", "expected a date YYYY-MM-DD, got '" + date + "'");
    const double close = parse_close(path, line, trim(row.substr(comma + 1)));
    if (!s.dates.empty() && date <= s.dates.back()) {
      if (date == s.dates.back())
        throw InputError(
            path, line, "date",
            "duplicate date " + date + " (also on line " + std::to_string(lines.back()) + ")");
      throw InputError(path, line, "date",
                       date + " comes after " + s.dates.back() + " (line " +
                           std::to_string(lines.back()) + "); dates must be strictly ascending");
    }
    s.dates.push_back(date);
    s.closes.push_back(close);
    lines.push_back(line);
  }
  if (!header) throw InputError(path, 1, "header", "empty file; expected the header 'date,close'");
  if (s.dates.empty()) throw InputError(path, line, "", "no prices after the header");
  return s;
}

}  // namespace

std::string price_file(const std::string& dir, const std::string& ticker) {
  return (fs::path(dir) / (ticker + ".csv")).string();
}

namespace {

// The tickers with a <TICKER>.csv file in dir, sorted. strict: a .csv whose name is not a ticker,
// or that is not a regular file, is refused (it was meant to count) instead of skipped.
std::vector<std::string> ticker_files(const std::string& dir, bool strict) {
  require_folder(dir);
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() != ".csv") continue;
    const std::string stem = p.stem().string();
    std::error_code type_ec;
    const bool regular = it->is_regular_file(type_ec);
    if (strict && !valid_ticker(stem))
      throw InputError(p.string(), 0, "",
                       "'" + echo_text(stem) + "' is not a ticker name, so this file would be left out",
                       "rename it (tickers are 1-16 letters, digits, '.', '_' or '-', starting with "
                       "a letter or digit), move it out of the folder, or name the tickers with "
                       "--tickers");
    if (strict && !regular)
      throw InputError(p.string(), 0, "", "not a regular file (a folder, FIFO or device)",
                       "move it out of the price folder, or name the tickers with --tickers");
    if (valid_ticker(stem) && regular) out.push_back(stem);
  }
  if (ec) throw InputError(dir, 0, "", "cannot list folder: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> available_tickers(const std::string& dir) {
  return ticker_files(dir, false);
}

std::vector<std::string> every_ticker_file(const std::string& dir) {
  return ticker_files(dir, true);
}

PriceHistory load_price_history(const std::string& dir, const std::vector<std::string>& asked) {
  PriceHistory h;
  h.dir = dir;
  h.tickers = asked.empty() ? every_ticker_file(dir) : asked;
  require_folder(dir);
  if (h.tickers.empty()) throw InputError(dir, 0, "", "no <TICKER>.csv files in this folder");
  for (std::size_t i = 0; i < h.tickers.size(); ++i) {
    const std::string& t = h.tickers[i];
    if (!valid_ticker(t))
      throw InputError(dir, 0, "", "'" + t + "' is not a ticker name",
                       "tickers are 1-16 letters, digits, '.', '_' or '-'");
    if (std::find(h.tickers.begin(), h.tickers.begin() + static_cast<long>(i), t) !=
        h.tickers.begin() + static_cast<long>(i))
      throw InputError(dir, 0, "", "ticker " + t + " asked for twice");
    std::error_code ec;
    if (!fs::exists(price_file(dir, t), ec)) {
      const std::vector<std::string> all = available_tickers(dir);
      throw InputError(price_file(dir, t), 0, "", "cannot open file: no such file",
                       all.empty() ? "the folder holds no <TICKER>.csv files"
                                   : "tickers with a file in " + dir + ": " + join(all, ", "));
    }
  }

  std::vector<Series> series;
  for (const std::string& t : h.tickers) series.push_back(read_series(price_file(dir, t)));

  // Inner join: the dates present in every file, ascending.
  std::vector<std::string> common = series.front().dates;
  for (std::size_t k = 1; k < series.size(); ++k) {
    std::vector<std::string> next;
    std::set_intersection(common.begin(), common.end(), series[k].dates.begin(),
                          series[k].dates.end(), std::back_inserter(next));
    common.swap(next);
  }
  if (common.empty()) {
    std::vector<std::string> ranges;
    for (std::size_t k = 0; k < series.size(); ++k)
      ranges.push_back(h.tickers[k] + " " + series[k].dates.front() + ".." +
                       series[k].dates.back());
    throw InputError(dir, 0, "",
                     "no date is common to all " + std::to_string(series.size()) + " price files",
                     "date ranges: " + join(ranges, ", "));
  }

  const std::size_t n = h.tickers.size();
  h.dates = common;
  for (const Series& s : series) h.file_first_dates.push_back(s.dates.front());
  h.closes.resize(common.size() * n);
  for (std::size_t k = 0; k < n; ++k) {
    const Series& s = series[k];
    std::size_t j = 0;
    std::vector<std::string> dropped;
    for (std::size_t i = 0; i < s.dates.size(); ++i) {
      if (j < common.size() && s.dates[i] == common[j]) {
        h.closes[j * n + k] = s.closes[i];
        ++j;
      } else {
        dropped.push_back(s.dates[i]);
      }
    }
    if (!dropped.empty())
      h.notes.push_back(fs::path(price_file(dir, h.tickers[k])).filename().string() + ": " +
                        std::to_string(dropped.size()) + " of " + std::to_string(s.dates.size()) +
                        " dates dropped by the inner join (missing from another file), " +
                        (dropped.size() == 1
                             ? "on " + dropped.front()
                             : "from " + dropped.front() + " to " + dropped.back()));
  }

  std::size_t gaps = 0;
  for (std::size_t i = 1; i < common.size(); ++i) {
    const long days = day_number(common[i]) - day_number(common[i - 1]);
    if (days <= kMaxQuietGapDays) continue;
    if (++gaps <= kMaxGapNotes)
      h.notes.push_back("gap of " + std::to_string(days) + " calendar days between common dates " +
                        common[i - 1] + " and " + common[i]);
  }
  if (gaps > kMaxGapNotes)
    h.notes.push_back("... and " + std::to_string(gaps - kMaxGapNotes) + " more gaps of over " +
                      std::to_string(kMaxQuietGapDays) + " calendar days");
  return h;
}

}  // namespace chipshock
