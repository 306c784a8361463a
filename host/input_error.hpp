// Bad input is reported as an InputError naming the file, the line and the field; the CLI turns
// it into one line on stderr and exit code 2. Library code never exits.
#pragma once

#include <stdexcept>
#include <string>

namespace chipshock {

class InputError : public std::runtime_error {
 public:
  InputError(const std::string& file, long line, const std::string& field,
             const std::string& message, std::string hint = {})
      : std::runtime_error(format(file, line, field, message)), hint_(std::move(hint)) {}

  // A suggestion for the user, printed on a second line; may be empty.
  const std::string& hint() const { return hint_; }

 private:
  static std::string format(const std::string& file, long line, const std::string& field,
                            const std::string& message) {
    std::string s = file.empty() ? std::string("command line") : file;
    if (line > 0) s += ":" + std::to_string(line);
    if (!field.empty()) s += ": " + field;
    return s + ": " + message;
  }
  std::string hint_;
};

}  // namespace chipshock
