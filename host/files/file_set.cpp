#include "host/files/file_set.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <system_error>

#include "host/files/durable_file.hpp"
#include "host/input_error.hpp"

namespace chipshock {

namespace {

namespace fs = std::filesystem;

std::string errno_text(int error) { return std::strerror(error); }

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
  throw std::runtime_error(what + " " + path + ": " + errno_text(error));
}

// The folder, opened and locked (flock, exclusive) as the inode its path names now: a writer
// that waited while another exchanged the folder locks the new one, not the old.
class FolderLock {
 public:
  explicit FolderLock(const std::string& path) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      fd_ = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd_ < 0) fail("cannot open folder", path, errno);
      while (::flock(fd_, LOCK_EX) != 0)
        if (errno != EINTR) fail("cannot lock (flock) folder", path, errno);
      struct stat held {}, now {};
      if (::fstat(fd_, &held) == 0 && ::stat(path.c_str(), &now) == 0 &&
          held.st_dev == now.st_dev && held.st_ino == now.st_ino)
        return;
      ::close(fd_);  // exchanged while we waited: lock what the path names now
      fd_ = -1;
    }
    throw std::runtime_error("cannot lock folder " + path + ": it keeps being replaced");
  }
  ~FolderLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

void fsync_folder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool in_set(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool same_inode(const fs::path& path, ino_t ino) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && st.st_ino == ino;
}

bool exists_entry(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Removes what build_staging put in the staging folder, and the folder (a failed attempt).
void remove_staging(const fs::path& staging) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(staging, ec)) {
    std::error_code ignored;
    if (!e.is_directory(ignored) || e.is_symlink(ignored)) ::unlink(e.path().c_str());
  }
  ::rmdir(staging.c_str());
}

// Why the folder cannot be exchanged with a sibling ("" when it can be tried).
std::string exchange_obstacle(const fs::path& target) {
  const fs::path parent = target.parent_path();
  if (target == target.root_path() || parent.empty()) return "it is the root folder";
  std::error_code ec;
  const fs::path cwd = fs::weakly_canonical(fs::current_path(ec), ec);
  if (!ec) {
    const auto rel = cwd.lexically_relative(target);
    if (!rel.empty() && *rel.begin() != "..") return "it is (or holds) the working folder";
  }
  struct stat t {}, p {};
  if (::stat(target.c_str(), &t) != 0 || ::stat(parent.c_str(), &p) != 0)
    return "its parent folder cannot be read";
  if (t.st_dev != p.st_dev) return "it is a mount point";
  if (::access(parent.c_str(), W_OK) != 0) return "its parent folder is not writable";
  return "";
}

// The set file by file, under the folder's lock: every file written to a temporary name and
// flushed, then each renamed into place in order, then stale set files removed.
void write_file_by_file(const fs::path& target, const std::vector<SetFile>& files,
                        const std::vector<std::string>& set_names) {
  static std::atomic<unsigned> counter{0};
  const std::string tag = ".chipshock-new." + std::to_string(::getpid()) + "." +
                          std::to_string(counter.fetch_add(1)) + ".";
  std::vector<fs::path> temps;
  const auto drop_temps = [&] {
    for (const fs::path& t : temps) ::unlink(t.c_str());
  };
  try {
    for (const SetFile& f : files) {
      temps.push_back(target / (tag + f.name));
      write_file_durably(temps.back().string(), f.content);
    }
  } catch (...) {
    drop_temps();
    throw;
  }
  for (std::size_t i = 0; i < files.size(); ++i)
    if (::rename(temps[i].c_str(), (target / files[i].name).c_str()) != 0) {
      const int error = errno;
      drop_temps();
      fail("cannot rename onto", (target / files[i].name).string(), error);
    }
  for (const std::string& name : set_names) {
    const bool kept = std::any_of(files.begin(), files.end(),
                                  [&](const SetFile& f) { return f.name == name; });
    if (!kept) ::unlink((target / name).c_str());
  }
  fsync_folder(target);
}

}  // namespace

void prepare_set_folder(const std::string& folder, const std::vector<std::string>& set_names,
                        const std::string& option) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder))
    throw InputError("", 0, option, "cannot create folder '" + folder + "'");
  const fs::path dir(folder);
  for (const std::string& name : set_names)
    if (const std::string kind = not_a_file_target((dir / name).string()); !kind.empty())
      throw InputError("", 0, option, (dir / name).string() + " is " + kind + ", not a regular file",
                       "remove it, or write the reports to another folder");
}

FileSetWrite write_file_set(const std::string& folder, const std::vector<SetFile>& files,
                            const std::vector<std::string>& set_names) {
  std::error_code ec;
  const fs::path target = fs::canonical(folder, ec);
  if (ec) throw std::runtime_error("cannot open folder " + folder + ": " + ec.message());
  const FolderLock lock(target.string());
  FileSetWrite result;
  result.file_by_file = exchange_obstacle(target);
  if (!result.file_by_file.empty()) {
    write_file_by_file(target, files, set_names);
    return result;
  }

  // The new folder beside the target: the new set, flushed, and links to everything else.
  static std::atomic<unsigned> counter{0};
  const fs::path staging =
      target.parent_path() / ("." + target.filename().string() + ".chipshock-set." +
                              std::to_string(::getpid()) + "." +
                              std::to_string(counter.fetch_add(1)));
  if (::mkdir(staging.c_str(), 0700) != 0) {
    result.file_by_file = "cannot create " + staging.string() + ": " + errno_text(errno);
    write_file_by_file(target, files, set_names);
    return result;
  }
  std::map<std::string, ino_t> linked;  // other entries linked into the new folder, by inode
  try {
    for (const SetFile& f : files) write_file_durably((staging / f.name).string(), f.content);
    for (const fs::directory_entry& e : fs::directory_iterator(target)) {
      const std::string name = e.path().filename().string();
      if (in_set(set_names, name)) continue;
      struct stat st {};
      if (::lstat(e.path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;  // moved later
      if (::linkat(AT_FDCWD, e.path().c_str(), AT_FDCWD, (staging / name).c_str(), 0) == 0)
        linked[name] = st.st_ino;  // else (not ours to link, say): moved back after
    }
  } catch (...) {
    remove_staging(staging);
    throw;
  }
  struct stat t {};
  if (::stat(target.c_str(), &t) == 0) {
    ::chmod(staging.c_str(), t.st_mode & 07777);
    if (::geteuid() == 0 && ::chown(staging.c_str(), t.st_uid, t.st_gid) != 0) {
      // root keeps the folder's owner where the file system allows it; else ours
    }
  }
  fsync_folder(staging);
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
    result.file_by_file = "the file system cannot exchange folders (" + errno_text(errno) + ")";
    remove_staging(staging);
    write_file_by_file(target, files, set_names);
    return result;
  }
  result.exchanged = true;

  // `staging` is now the old folder: delete its set, move back what is not the set's.
  const fs::path& old = staging;
  std::vector<fs::path> entries;  // listed first: the loop below removes and moves them
  for (const fs::directory_entry& e : fs::directory_iterator(old, ec)) entries.push_back(e.path());
  for (const fs::path& was : entries) {
    const std::string name = was.filename().string();
    const fs::path now = target / name;
    if (in_set(set_names, name)) {
      ::unlink(was.c_str());
      continue;
    }
    const auto l = linked.find(name);
    if (l != linked.end()) {
      if (same_inode(was, l->second)) {  // unchanged: the new folder has the same file
        ::unlink(was.c_str());
        continue;
      }
      if (same_inode(now, l->second) &&  // replaced in the old folder before the exchange
          ::rename(was.c_str(), now.c_str()) == 0)
        continue;
    } else if (!exists_entry(now) &&
               ::renameat2(AT_FDCWD, was.c_str(), AT_FDCWD, now.c_str(), RENAME_NOREPLACE) == 0) {
      continue;
    }
    result.left.push_back(was.string());
  }
  ::rmdir(old.c_str());  // fails, and keeps them, only if `left` is not empty
  fsync_folder(target.parent_path());
  return result;
}

}  // namespace chipshock
