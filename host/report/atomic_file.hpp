// Report files replaced whole: a reader sees the old file or the new one.
#pragma once

#include <string>

namespace chipshock {

// Writes to a temporary file in the same directory, then renames it over `path`: readers see
// the old file or the new one, never a half-written one. Throws std::runtime_error.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace chipshock
