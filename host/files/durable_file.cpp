#include "host/files/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>

namespace chipshock {

namespace {

[[noreturn]] void fail(const std::string& call, const std::string& path, int error) {
  throw std::runtime_error(call + " " + path + ": " + std::strerror(error));
}

// Closes the descriptor when it goes out of scope (error paths).
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace

void write_file_durably(const std::string& path, const std::string& content,
                        const std::function<void(const std::string& written)>& check) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string tmp =
      (folder / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid())))
          .string();
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) fail("cannot create", tmp, errno);
    std::size_t written = 0;
    while (written < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int error = errno;
        ::unlink(tmp.c_str());
        fail("cannot write", tmp, error);
      }
      written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) {
      const int error = errno;
      ::unlink(tmp.c_str());
      fail("cannot flush (fsync)", tmp, error);
    }
    if (::close(fd.release()) != 0) {
      const int error = errno;
      ::unlink(tmp.c_str());
      fail("cannot close", tmp, error);
    }
  }
  if (check) {
    try {
      check(tmp);
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    fail("cannot rename onto", path, error);
  }
  Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) fail("cannot open the folder of", path, errno);
  if (::fsync(dir.get()) != 0) fail("cannot flush (fsync) the folder of", path, errno);
}

std::string not_a_file_target(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(path, ec);
  if (ec) return "";  // absent (or unreadable: the write itself will say)
  switch (st.type()) {
    case fs::file_type::not_found:
    case fs::file_type::regular:
    case fs::file_type::symlink:
      return "";
    case fs::file_type::directory:
      return "a folder";
    case fs::file_type::fifo:
      return "a FIFO";
    case fs::file_type::block:
    case fs::file_type::character:
      return "a device";
    case fs::file_type::socket:
      return "a socket";
    default:
      return "not a regular file";
  }
}

}  // namespace chipshock
