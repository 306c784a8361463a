// Report files replaced whole: a reader sees the old file or the new one.
#pragma once

#include <string>

namespace chipshock {

// Writes to a temporary file in the same directory, then renames it over `path`: readers see
// the old file or the new one, never a half-written one. Throws std::runtime_error.
void write_file_atomically(const std::string& path, const std::string& content);

// Why `path` cannot be the target of a file this program writes (or reads back): "" when it is
// absent, a regular file or a symbolic link (a rename replaces the link, not what it points
// to); else "a folder", "a FIFO", "a device", "a socket" or "not a regular file". Checked by
// type, not permission, so it holds for root too.
std::string not_a_file_target(const std::string& path);

}  // namespace chipshock
