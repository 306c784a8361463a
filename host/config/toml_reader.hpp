// Strict, typed access to one TOML table: every read names the file, line and dotted field on
// failure, and finish() rejects keys nobody read (a misspelt key is an error, not a silent
// default).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "host/input_error.hpp"

namespace chipshock {

class TomlReader {
 public:
  TomlReader(const toml::table& table, std::string file, std::string prefix);

  long line() const;                          // the table's own line (1 for the root table)
  long line_of(const std::string& key) const;  // the key's line, or the table's if absent
  std::string field(const std::string& key) const { return prefix_ + key; }
  const std::string& file() const { return file_; }
  bool has(const std::string& key) const { return table_.contains(key); }

  // Numbers accept TOML integers and floats, and refuse NaN and infinities.
  double number(const std::string& key);
  std::optional<double> optional_number(const std::string& key);
  long long integer(const std::string& key);
  std::optional<long long> optional_integer(const std::string& key);
  std::string string(const std::string& key);
  std::optional<std::string> optional_string(const std::string& key);
  const toml::table& table(const std::string& key);
  const toml::table* optional_table(const std::string& key);
  const toml::array& array(const std::string& key);
  // Any value (marked as read), for keys that accept several types.
  const toml::node& node(const std::string& key) { return require(key); }
  const toml::node* optional_node(const std::string& key) {
    return has(key) ? &require(key) : nullptr;
  }

  // Rejects keys that were never read.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& message,
                         const std::string& hint = {}) const;

 private:
  const toml::node& require(const std::string& key);
  const toml::table& table_;
  std::string file_;
  std::string prefix_;
  std::set<std::string> read_;
};

// Names in input files: tickers (1-16 letters, digits, '.', '_' or '-', starting with a letter or
// digit) and identifiers such as factor and sector names (1-32 letters, digits or '_').
bool valid_ticker(const std::string& ticker);
bool valid_identifier(const std::string& name);

// "YYYY-MM-DD" naming a real calendar day between 1900 and 2200.
bool valid_iso_date(const std::string& s);

// Reads a TOML date (2025-01-24) or a string holding one, as "YYYY-MM-DD".
std::string read_date(TomlReader& r, const std::string& key);

// Line where a node starts (0 when toml++ recorded none).
long node_line(const toml::node& node);

// Parses a TOML file, turning syntax errors into InputError with the file and line.
toml::table parse_toml_file(const std::string& path);

// An input file's bytes; InputError naming it when it is missing, not a regular file (a FIFO,
// device or folder) or unreadable.
// max_bytes > 0: a larger file is refused as not being `what` (e.g. "a positions table").
std::string read_input_file(const std::string& path, std::uintmax_t max_bytes = 0,
                            const std::string& what = "");

// Parses TOML text; `name` stands for the file in error messages.
toml::table parse_toml_text(const std::string& text, const std::string& name);

}  // namespace chipshock
