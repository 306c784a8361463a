#include "host/config/toml_reader.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace chipshock {

long node_line(const toml::node& node) { return static_cast<long>(node.source().begin.line); }

TomlReader::TomlReader(const toml::table& table, std::string file, std::string prefix)
    : table_(table), file_(std::move(file)), prefix_(std::move(prefix)) {}

long TomlReader::line() const {
  const long l = node_line(table_);
  return l > 0 ? l : 1;
}

long TomlReader::line_of(const std::string& key) const {
  if (const toml::node* n = table_.get(key)) {
    const long l = node_line(*n);
    if (l > 0) return l;
  }
  return line();
}

void TomlReader::fail(const std::string& key, const std::string& message,
                      const std::string& hint) const {
  throw InputError(file_, line_of(key), field(key), message, hint);
}

const toml::node& TomlReader::require(const std::string& key) {
  const toml::node* n = table_.get(key);
  if (n == nullptr) fail(key, "missing (required)");
  read_.insert(key);
  return *n;
}

static const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date or time";
  }
}

double TomlReader::number(const std::string& key) {
  const toml::node& n = require(key);
  if (!n.is_number()) fail(key, std::string("expected a number, found ") + type_name(n));
  const double v = n.is_integer() ? static_cast<double>(n.as_integer()->get())
                                  : n.as_floating_point()->get();
  if (!std::isfinite(v)) fail(key, "must be a finite number");
  return v;
}

std::optional<double> TomlReader::optional_number(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return number(key);
}

long long TomlReader::integer(const std::string& key) {
  const toml::node& n = require(key);
  if (n.is_integer()) return n.value<long long>().value();
  if (n.is_floating_point()) {
    const double v = n.as_floating_point()->get();
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15)
      return static_cast<long long>(v);
  }
  fail(key, std::string("expected a whole number, found ") + type_name(n));
}

std::optional<long long> TomlReader::optional_integer(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return integer(key);
}

std::string TomlReader::string(const std::string& key) {
  const toml::node& n = require(key);
  if (!n.is_string()) fail(key, std::string("expected a string, found ") + type_name(n));
  return n.value<std::string>().value();
}

std::optional<std::string> TomlReader::optional_string(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return string(key);
}

const toml::table& TomlReader::table(const std::string& key) {
  const toml::node& n = require(key);
  if (!n.is_table()) fail(key, std::string("expected a table, found ") + type_name(n));
  return *n.as_table();
}

const toml::table* TomlReader::optional_table(const std::string& key) {
  if (!has(key)) return nullptr;
  return &table(key);
}

const toml::array& TomlReader::array(const std::string& key) {
  const toml::node& n = require(key);
  if (!n.is_array()) fail(key, std::string("expected an array, found ") + type_name(n));
  return *n.as_array();
}

void TomlReader::finish() const {
  for (const auto& [k, v] : table_) {
    const std::string key(k.str());
    if (read_.count(key) == 0) {
      const long l = node_line(v);
      throw InputError(file_, l > 0 ? l : line(), field(key), "unknown key",
                       "check the spelling against the file format in README.md");
    }
  }
}

bool valid_ticker(const std::string& t) {
  static const std::regex re("[A-Za-z0-9][A-Za-z0-9._-]{0,15}");
  return std::regex_match(t, re);
}

bool valid_identifier(const std::string& name) {
  static const std::regex re("[A-Za-z0-9_]{1,32}");
  return std::regex_match(name, re);
}

bool valid_iso_date(const std::string& s) {
  static const std::regex re("([0-9]{4})-([0-9]{2})-([0-9]{2})");
  std::smatch mt;
  if (!std::regex_match(s, mt, re)) return false;
  const int y = std::stoi(mt[1]), mo = std::stoi(mt[2]), d = std::stoi(mt[3]);
  if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1) return false;
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= (mo == 2 && !leap ? 28 : days[mo - 1]);
}

std::string read_date(TomlReader& r, const std::string& key) {
  std::string text;
  if (const auto* node = r.optional_node(key)) {
    if (const auto d = node->value<toml::date>()) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d->year),
                    static_cast<int>(d->month), static_cast<int>(d->day));
      text = buf;
    } else if (const auto str = node->value<std::string>()) {
      text = *str;
    } else {
      r.fail(key, "expected a date (2025-01-24)");
    }
  }
  if (!valid_iso_date(text)) r.fail(key, "expected a date YYYY-MM-DD, got '" + text + "'");
  return text;
}

toml::table parse_toml_file(const std::string& path) {
  return parse_toml_text(read_input_file(path), path);
}

std::string read_input_file(const std::string& path, std::uintmax_t max_bytes,
                            const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(path, 0, "", "cannot open file: no such file");
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path, 0, "", "cannot open file: not a regular file");
  if (max_bytes > 0 && std::filesystem::file_size(path, ec) > max_bytes)
    throw InputError(path, 0, "",
                     "larger than " + std::to_string(max_bytes >> 20) + " MiB: not " + what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open file (permission denied)");
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw InputError(path, 0, "", "cannot read file");
  return buf.str();
}

namespace {

bool bare_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '+';
}

// The index just past the string that starts at text[i] (a quote), counting its newlines.
std::size_t skip_string(const std::string& text, std::size_t i, long& line) {
  const char q = text[i];
  const bool triple = text.compare(i, 3, std::string(3, q)) == 0;
  const bool escapes = q == '"';
  i += triple ? 3 : 1;
  while (i < text.size()) {
    const char c = text[i];
    if (escapes && c == '\\') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++line;
      i += 2;
      continue;
    }
    if (c == '\n') {
      ++line;
      if (!triple) return i;  // unterminated: the parser says so
    }
    if (c == q && (!triple || text.compare(i, 3, std::string(3, q)) == 0))
      return i + (triple ? 3 : 1);
    ++i;
  }
  return i;
}

// toml++ recurses once per part of a dotted key (a.b.c ...): refuse absurd nesting before it
// overflows the stack. Only a chain of key parts joined by dots counts, outside strings and
// comments: a decimal point is a chain of one dot, a dot in a string or a comment none, so a
// long correlation row, a wide table or a long description pass. No chipshock file needs more
// than a few parts.
void check_dotted_key_depth(const std::string& text, const std::string& path) {
  constexpr int kMaxKeyDots = 256;
  long line = 1;
  int dots = 0;           // dots in the current chain
  bool element = false;   // the chain ends with a key part
  bool after_dot = false; // ... or with a dot
  const auto part = [&] {
    if (!after_dot) dots = 0;  // a part after no dot starts a chain
    after_dot = false;
    element = true;
  };
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      dots = 0;
      element = after_dot = false;
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++i;  // a . b is a dotted key too
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      i = skip_string(text, i, line);
      part();
    } else if (c == '.') {
      if (element && ++dots > kMaxKeyDots)
        throw InputError(path, line, "",
                         "a dotted key of more than " + std::to_string(kMaxKeyDots) +
                             " parts: keys nested too deep");
      after_dot = element;
      element = false;
      if (!after_dot) dots = 0;
      ++i;
    } else if (bare_key_char(c)) {
      while (i < text.size() && bare_key_char(text[i])) ++i;
      part();
    } else {
      dots = 0;
      element = after_dot = false;
      ++i;
    }
  }
}

}  // namespace

toml::table parse_toml_text(const std::string& text, const std::string& path) {
  check_dotted_key_depth(text, path);
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, static_cast<long>(e.source().begin.line), "",
                     std::string("TOML syntax error: ") + std::string(e.description()));
  }
}

}  // namespace chipshock
