// Bad input is reported as an InputError naming the file, the line and the field; the CLI turns
// it into one line on stderr and exit code 2. Library code never exits.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

namespace chipshock {

// Text from an input echoed back in a message: at most `max` characters (then "..."), control
// characters escaped as \xNN, so that no file or argument can flood or drive the terminal.
inline std::string echo_text(const std::string& s, std::size_t max = 60) {
  std::string out;
  for (const char c : s.substr(0, max)) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += hex;
    } else {
      out += c;
    }
  }
  return s.size() > max ? out + "..." : out;
}

class InputError : public std::runtime_error {
 public:
  InputError(const std::string& file, long line, const std::string& field,
             const std::string& message, std::string hint = {})
      : std::runtime_error(format(file, line, field, message)),
        hint_(echo_text(hint, 2000)),
        file_(echo_text(file, 2000)),
        line_(line),
        field_(echo_text(field, 2000)),
        message_(echo_text(message, 2000)) {}

  // A suggestion for the user, printed on a second line; may be empty.
  const std::string& hint() const { return hint_; }
  // The parts of what(), for front ends that show them apart (the Python module's InputError):
  // the file ("" = the command line or a call's arguments), the line (0 = none), the field or
  // option ("" = none) and the message alone.
  const std::string& file() const { return file_; }
  long line() const { return line_; }
  const std::string& field() const { return field_; }
  const std::string& message() const { return message_; }

 private:
  static std::string format(const std::string& file, long line, const std::string& field,
                            const std::string& message) {
    std::string s = file.empty() ? std::string("command line") : file;
    if (line > 0) s += ":" + std::to_string(line);
    if (!field.empty()) s += ": " + field;
    // Whatever a message quotes from its input, the line stays one bounded line.
    return echo_text(s + ": " + message, 2000);
  }
  std::string hint_, file_;
  long line_;
  std::string field_, message_;
};

}  // namespace chipshock
