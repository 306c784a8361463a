// A folder's set of files (a run's reports, a backtest's) replaced as one: a reader sees the
// old set or the new one, never files of both, even when two runs write the same folder at
// once or a run fails part-way (disk full, file-size limit, kill -9).
//
// How: the new set is written (each file flushed to disk) into a new folder beside the target,
// together with hard links to every other file already in the target (a checkpoint, the user's
// own files), and the two folders are exchanged in one step (renameat2 RENAME_EXCHANGE). The
// old set is then deleted; anything that is not a file of the set and could not be linked
// (sub-folders, files that appeared meanwhile) is moved back into the new folder, so nothing
// but the old set is ever removed. Writers take an exclusive flock on the folder for the whole
// replacement, so two runs take turns; a reader that wants one set whatever happens opens the
// folder once (or takes a shared flock on it) and reads its files relative to it.
//
// Where the folder cannot be exchanged (it is the working folder, a mount point, its parent is
// not writable, or the file system has no RENAME_EXCHANGE, e.g. NFS), the set is written file by
// file under the same lock: every new file is written to a temporary name and flushed first, and
// only then renamed into place in the given order (report.json last), so a failure while writing
// still leaves the old set whole; a reader that takes a shared flock on the folder sees one set.
#pragma once

#include <string>
#include <vector>

namespace chipshock {

struct SetFile {
  std::string name, content;  // name: a plain file name in the folder
};

struct FileSetWrite {
  bool exchanged = false;      // the folder was exchanged with the new one
  std::string file_by_file;    // when not: why (for a notice)
  std::vector<std::string> left;  // entries that could not be moved back (paths), if any
};

// Makes `folder` (and its parents) if need be and checks that no file of the set is there as
// something other than a regular file (a folder, FIFO, device or socket a rename would replace).
// Throws InputError (exit 2) naming `option`: called before any work.
void prepare_set_folder(const std::string& folder, const std::vector<std::string>& set_names,
                        const std::string& option);

// Replaces the set in `folder` (which must exist) with `files`. `set_names`: every name that
// belongs to a set (a file of the old set absent from the new one is removed too). Throws
// std::runtime_error naming the file and the failed call; the old set is then left whole.
FileSetWrite write_file_set(const std::string& folder, const std::vector<SetFile>& files,
                            const std::vector<std::string>& set_names);

}  // namespace chipshock
