// Writing a file so that a crash, kill -9 or power cut leaves either the old file or the whole
// new one: the bytes go to a temporary file in the same folder, which is flushed to disk
// (fsync), renamed over the target (atomic on POSIX file systems), and the folder is flushed so
// that the rename itself is on disk. The one way this program writes a file (reports,
// checkpoints, calibrated markets); host/files/file_set.hpp writes a folder's set of them.
#pragma once

#include <functional>
#include <string>

namespace chipshock {

// Throws std::runtime_error naming the file and the failed call (disk full, no permission,
// file-size limit...). `check`, when given, is called with the temporary file's path once it is
// on disk and before the rename: if it throws, the temporary file is removed and the target is
// left as it was.
void write_file_durably(const std::string& path, const std::string& content,
                        const std::function<void(const std::string& written)>& check = {});

// Why `path` cannot be the target of a file this program writes (or reads back): "" when it is
// absent, a regular file or a symbolic link (a rename replaces the link, not what it points
// to); else "a folder", "a FIFO", "a device", "a socket" or "not a regular file". Checked by
// type, not permission, so it holds for root too.
std::string not_a_file_target(const std::string& path);

}  // namespace chipshock
