// Escaping of text put into report.md (as html_escape.hpp does for report.html): scenario names,
// descriptions, sources, the portfolio's name and file names come from user files and must
// never become markup: no table cell broken by '|' or a newline, no link, image, raw HTML,
// heading, list or emphasis.
#pragma once

#include <cstdio>
#include <string>

namespace chipshock {

namespace markdown_detail {
// A control character as visible text (a newline or tab becomes a space: one line, one cell).
inline void put_control(std::string& out, char c) {
  if (c == '\n' || c == '\t' || c == '\r') {
    out += ' ';
    return;
  }
  char hex[8];
  std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
  out += hex;
}
inline bool control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }
}  // namespace markdown_detail

// Text for a paragraph, a heading or a table cell: every character Markdown gives a meaning
// backslash-escaped, and a leading list or heading marker too.
inline std::string escape_markdown(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t i = 0;
  // "1. " or "2) " at the start would begin an ordered list
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') out += text[i++];
  if (i > 0 && i < text.size() && (text[i] == '.' || text[i] == ')')) {
    out += '\\';
    out += text[i++];
  }
  for (std::size_t k = i; k < text.size(); ++k) {
    const char c = text[k];
    if (markdown_detail::control(c)) {
      markdown_detail::put_control(out, c);
      continue;
    }
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '|':
      case '~':
      case '#':
      case '!':
      case '&':
      case '{':
      case '}':
        out += '\\';
        out += c;
        break;
      case '-':
      case '+':
      case '=':
        if (out.empty()) out += '\\';  // a list item or a setext underline at the start
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Text as a code span (a file name): fenced by one backtick more than its longest run of them,
// so that nothing inside can close it; control characters made visible.
inline std::string markdown_code(const std::string& text) {
  std::string body;
  std::size_t run = 0, longest = 0;
  for (const char c : text) {
    run = c == '`' ? run + 1 : 0;
    if (run > longest) longest = run;
    if (markdown_detail::control(c)) {
      markdown_detail::put_control(body, c);
    } else if (c == '|') {
      body += "\\|";  // GitHub tables split cells at '|' even inside code spans
    } else {
      body += c;
    }
  }
  const std::string fence(longest + 1, '`');
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

}  // namespace chipshock
