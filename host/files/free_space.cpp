#include "host/files/free_space.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "host/input_error.hpp"

namespace chipshock {

std::string bytes_text(std::uint64_t bytes) {
  char buf[64];
  const double b = static_cast<double>(bytes);
  if (bytes < 1024)
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  else if (b < 1024.0 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
  else if (b < 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  else
    std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1024.0 * 1024 * 1024));
  return buf;
}

namespace {

struct Group {
  std::uint64_t bytes = 0;
  std::vector<const SpaceNeed*> needs;
  std::string folder;  // where to ask (the first need's), "" = standard output
};

std::string names_of(const Group& g) {
  std::string s;
  for (std::size_t i = 0; i < g.needs.size(); ++i)
    s += (i ? (i + 1 == g.needs.size() ? " and " : ", ") : "") + g.needs[i]->what + " (" +
         bytes_text(g.needs[i]->bytes) + ")";
  return s;
}

std::string where(const SpaceNeed& n) {
  return n.folder.empty() ? std::string("standard output") : "folder '" + n.folder + "'";
}

// Reserves `bytes` for real in the folder (fallocate of an unnamed file, released at once):
// false with errno when the file system refuses them (full, quota). True where fallocate is
// not supported (statvfs's answer then stands).
bool reserve(const std::string& folder, std::uint64_t bytes, int& error) {
  const int fd = ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = errno;
    return error == EOPNOTSUPP || error == EISDIR || error == EINVAL;  // no O_TMPFILE here
  }
  const int r = ::fallocate(fd, 0, 0, static_cast<off_t>(bytes));
  error = r == 0 ? 0 : errno;
  ::close(fd);
  return r == 0 || error == EOPNOTSUPP || error == ENOSYS;
}

}  // namespace

void check_space(const std::vector<SpaceNeed>& needs) {
  rlimit limit{};
  const bool limited = ::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY;
  std::map<dev_t, Group> groups;
  for (const SpaceNeed& n : needs) {
    if (limited && n.largest > limit.rlim_cur)
      throw InputError("", 0, n.option,
                       n.what + ": a file of about " + bytes_text(n.largest) +
                           ", more than this process's file-size limit (ulimit -f) of " +
                           bytes_text(limit.rlim_cur),
                       "raise the limit (ulimit -f) or write less");
    struct stat st {};
    if (n.folder.empty()) {
      if (::fstat(STDOUT_FILENO, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    } else if (::stat(n.folder.c_str(), &st) != 0) {
      throw InputError("", 0, n.option, "cannot read " + where(n) + ": " + std::strerror(errno));
    }
    Group& g = groups[st.st_dev];
    if (g.needs.empty()) g.folder = n.folder;
    g.bytes += n.bytes;
    g.needs.push_back(&n);
  }
  for (const auto& entry : groups) {
    const Group& g = entry.second;
    const SpaceNeed& first = *g.needs.front();
    struct statvfs vfs {};
    const int r = g.folder.empty() ? ::fstatvfs(STDOUT_FILENO, &vfs)
                                   : ::statvfs(g.folder.c_str(), &vfs);
    if (r != 0) continue;  // nothing to ask: the writes themselves will say
    if (vfs.f_flag & ST_RDONLY)
      throw InputError("", 0, first.option, where(first) + " is on a read-only file system");
    // root may use the blocks kept back for it; anyone else only the available ones
    const std::uint64_t blocks = ::geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail;
    const std::uint64_t free_bytes = blocks * static_cast<std::uint64_t>(vfs.f_frsize);
    const auto refuse = [&](const std::string& why) {
      throw InputError("", 0, first.option,
                       names_of(g) + " need about " + bytes_text(g.bytes) + " in " + where(first) +
                           ", " + why,
                       "free some space, or write elsewhere");
    };
    if (free_bytes < g.bytes) refuse("which has " + bytes_text(free_bytes) + " free");
    int error = 0;
    // (at most the file-size limit in one file: the files themselves are checked above)
    const std::uint64_t reserved = limited ? std::min<std::uint64_t>(g.bytes, limit.rlim_cur)
                                           : g.bytes;
    if (!g.folder.empty() && !reserve(g.folder, reserved, error)) {
      if (error == EACCES || error == EPERM)
        throw InputError("", 0, first.option, "cannot write into " + where(first));
      if (error == EROFS)
        throw InputError("", 0, first.option, where(first) + " is on a read-only file system");
      refuse(std::string("and cannot reserve them: ") + std::strerror(error));
    }
  }
}

}  // namespace chipshock
