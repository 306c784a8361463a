// What `run` and `backtest` say after writing a set of report files (host/files/file_set.hpp):
// a note when the folder could not be exchanged in one step, a warning for anything of the old
// folder that could not be moved back.
#pragma once

#include <iostream>
#include <string>

#include "host/files/file_set.hpp"

namespace chipshock {

inline void say_set_written(const FileSetWrite& w, const std::string& folder, bool quiet) {
  if (!w.exchanged && !quiet)
    std::cerr << "chipshock: note: the files in " << folder
              << " were replaced one by one (each whole, report.json last), not as one folder: "
              << w.file_by_file << "\n";
  for (const std::string& path : w.left)
    std::cerr << "chipshock: warning: " << path << " was in " << folder
              << " and could not be moved back into it (a name now taken); it is kept there\n";
}

}  // namespace chipshock
