// Writing a file so that a crash, kill -9 or power cut leaves either the old file or the whole
// new one: the bytes go to a temporary file in the same folder, which is flushed to disk
// (fsync), renamed over the target (atomic on POSIX file systems), and the folder is flushed so
// that the rename itself is on disk.
#pragma once

#include <string>

namespace chipshock {

// Throws std::runtime_error naming the file and the failed call (disk full, no permission...).
void write_file_durably(const std::string& path, const std::string& content);

}  // namespace chipshock
