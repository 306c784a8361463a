// Room for what a command will write, checked before it computes anything: free space where
// each file goes (statvfs, then the bytes reserved for real with fallocate, which also meets
// quotas) and this process's file-size limit (RLIMIT_FSIZE, `ulimit -f`). A full disk or a
// too-small limit is then a refusal up front (exit 2), not an error after hours of work.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chipshock {

// What one output needs: `bytes` in all (room for the temporary copy included) in `folder`,
// none of its files larger than `largest`. `option` and `what` name it in a refusal.
struct SpaceNeed {
  std::string folder;  // an existing folder, or "" for standard output (checked when a file)
  std::uint64_t bytes = 0;
  std::uint64_t largest = 0;
  std::string option;  // e.g. "--out", "--checkpoint", "--json"
  std::string what;    // e.g. "the report set"
};

// Throws InputError (exit 2) naming the option, the folder, what is needed and what is free.
// Needs on the same file system are added up. Standard output is checked only when it is a
// regular file (a pipe or terminal has no free space to ask about).
void check_space(const std::vector<SpaceNeed>& needs);

// "12.3 MiB": bytes for a message.
std::string bytes_text(std::uint64_t bytes);

}  // namespace chipshock
