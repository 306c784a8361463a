// Escaping of text put into HTML or SVG (text and attribute values alike). Scenario names,
// descriptions and sources come from user files and must never become markup.
#pragma once

#include <string>

namespace chipshock {

inline std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // control characters other than tab and newline are not allowed in XML text
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// escape_html, with a line-break opportunity (<wbr>) after each '_', '.' or '-': a long
// scenario name such as cheaper_model_disruption wraps at its words in a narrow column.
inline std::string breakable_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += escape_html(std::string(1, c));
    if (c == '_' || c == '.' || c == '-') out += "<wbr>";
  }
  return out;
}

}  // namespace chipshock
