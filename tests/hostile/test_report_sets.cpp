// A report folder holds one run's set (issue "nothing wrong, nothing lost", class 2): two runs
// writing the same --out, or a run that fails part-way (file-size limit, full disk), never
// leave files of two runs, and a reader never reads a mix; what else is in the folder is kept.
// And room is checked before any work: a file-size limit (ulimit -f) or a disk without the
// space the outputs need is a refusal up front, exit 2, naming the option, for run, backtest,
// calibrate and reverse. The estimates behind the check bound real runs.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "../cli_util.hpp"
#include "../test_util.hpp"
#include "host/files/file_set.hpp"
#include "host/files/free_space.hpp"
#include "host/input_error.hpp"

using namespace chipshock;
using namespace chipshock::testing;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kNames = {"a.csv", "b.md", "report.json", "gone.csv"};

std::vector<SetFile> set_of(const std::string& tag) {
  return {{"a.csv", "a " + tag + "\n"}, {"b.md", "b " + tag + "\n"}, {"report.json", tag}};
}

ino_t inode(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_ino;
}

// Files in `folder` whose name starts with `prefix` (leftovers of a set write).
int leftovers(const fs::path& folder, const std::string& needle) {
  int n = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(folder))
    n += e.path().filename().string().find(needle) != std::string::npos;
  return n;
}

// Runs `body` in a child process (for limits and working folders that must not touch the test
// process); its exit code, 0 meaning every check in it held.
int in_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

bool set_is(const fs::path& dir, const std::string& tag) {
  return slurp_file((dir / "a.csv").string()) == "a " + tag + "\n" &&
         slurp_file((dir / "b.md").string()) == "b " + tag + "\n" &&
         slurp_file((dir / "report.json").string()) == tag;
}

}  // namespace

TEST_CASE("a new set replaces the old one in one exchange and keeps every other entry",
          "[hostile][sets]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "reports";
  fs::create_directories(dir / "sub");
  tmp.write("reports/sub/inner.txt", "inner");
  tmp.write("reports/notes.txt", "mine");
  tmp.write("reports/gone.csv", "a file of the old set that the new one lacks");
  tmp.write("reports/.hidden", "h");
  fs::create_symlink("notes.txt", dir / "link");
  ::mkfifo((dir / "pipe").c_str(), 0600);
  REQUIRE(write_file_set(dir.string(), set_of("old"), kNames).exchanged);
  const ino_t notes = inode((dir / "notes.txt").string());
  const ino_t folder = inode(dir.string());

  const FileSetWrite w = write_file_set(dir.string(), set_of("new"), kNames);
  CHECK(w.exchanged);
  CHECK(w.left.empty());
  CHECK(inode(dir.string()) != folder);  // a new folder took the old one's place
  CHECK(set_is(dir, "new"));
  CHECK_FALSE(fs::exists(dir / "gone.csv"));
  CHECK(slurp_file((dir / "notes.txt").string()) == "mine");
  CHECK(inode((dir / "notes.txt").string()) == notes);  // the same file, linked
  CHECK(slurp_file((dir / "sub/inner.txt").string()) == "inner");
  CHECK(slurp_file((dir / ".hidden").string()) == "h");
  CHECK(fs::read_symlink(dir / "link") == "notes.txt");
  CHECK(fs::is_fifo(fs::symlink_status(dir / "pipe")));
  CHECK(leftovers(tmp.path(), "chipshock-set") == 0);
}

TEST_CASE("a set write that fails part-way leaves the old set whole, in either mode",
          "[hostile][sets]") {
  for (const bool from_inside : {false, true}) {
    INFO((from_inside ? "file by file (the working folder)" : "folder exchange"));
    TempDir tmp;
    const fs::path dir = tmp.path() / "reports";
    fs::create_directories(dir);
    REQUIRE(write_file_set(dir.string(), set_of("old"), kNames).exchanged);
    // The second file exceeds a 64 KiB file-size limit: EFBIG once the first is written.
    std::vector<SetFile> big = set_of("new");
    big[1].content.assign(200000, 'x');
    const int code = in_child([&] {
      std::signal(SIGXFSZ, SIG_IGN);
      rlimit lim{64 << 10, 64 << 10};
      if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return 10;
      if (from_inside && ::chdir(dir.c_str()) != 0) return 11;
      try {
        write_file_set(dir.string(), big, kNames);
      } catch (const std::runtime_error& e) {
        return std::string(e.what()).find("File too large") != std::string::npos ? 0 : 12;
      }
      return 13;
    });
    CHECK(code == 0);
    CHECK(set_is(dir, "old"));
    CHECK(leftovers(tmp.path(), "chipshock-set") == 0);
    CHECK(leftovers(dir, "chipshock-new") == 0);
    CHECK(leftovers(dir, ".tmp.") == 0);
  }
}

TEST_CASE("where the folder cannot be exchanged the set is written file by file",
          "[hostile][sets]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "reports";
  fs::create_directories(dir);
  tmp.write("reports/notes.txt", "mine");
  tmp.write("reports/gone.csv", "old");
  const int code = in_child([&] {
    if (::chdir(dir.c_str()) != 0) return 11;
    const FileSetWrite w = write_file_set(".", set_of("new"), kNames);
    if (w.exchanged) return 12;
    if (w.file_by_file.find("working folder") == std::string::npos) return 13;
    return 0;
  });
  CHECK(code == 0);
  CHECK(set_is(dir, "new"));
  CHECK_FALSE(fs::exists(dir / "gone.csv"));
  CHECK(slurp_file((dir / "notes.txt").string()) == "mine");
  CHECK(leftovers(dir, "chipshock-new") == 0);
}

TEST_CASE("writers in parallel take turns: every reader sees one whole set",
          "[hostile][sets]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "reports";
  fs::create_directories(dir);
  REQUIRE(write_file_set(dir.string(), set_of("w0-0"), kNames).exchanged);
  std::atomic<bool> done{false};
  std::atomic<int> whole{0}, mixed{0}, replaced{0}, locked_whole{0}, locked_missing{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      for (int k = 0; k < 40; ++k) {
        write_file_set(dir.string(), set_of("w" + std::to_string(w) + "-" + std::to_string(k)),
                       kNames);
        std::this_thread::sleep_for(std::chrono::milliseconds(1 + w));  // room for readers
      }
    });
  const auto read_at = [](int fd, const char* name, std::string& out) {
    const int f = ::openat(fd, name, O_RDONLY | O_CLOEXEC);
    if (f < 0) return false;
    char buf[256];
    out.clear();
    for (ssize_t n; (n = ::read(f, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    ::close(f);
    return true;
  };
  // Without a lock: open the folder once, read its files relative to it, slowly (a pause
  // between files, so that a set replaced file by file would be caught half-way).
  std::thread reader([&] {
    const auto pause = [] { std::this_thread::sleep_for(std::chrono::microseconds(300)); };
    while (!done) {
      const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      std::string a, b, j;
      if (read_at(fd, "report.json", j) && (pause(), read_at(fd, "a.csv", a)) &&
          (pause(), read_at(fd, "b.md", b)))
        (a == "a " + j + "\n" && b == "b " + j + "\n" ? whole : mixed)++;
      else
        replaced++;
      ::close(fd);
    }
  });
  // With a shared lock on the folder (the reader's side of the writers' lock).
  std::thread locked_reader([&] {
    while (!done) {
      const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      ::flock(fd, LOCK_SH);
      struct stat held {}, now {};
      ::fstat(fd, &held);
      std::string a, b, j;
      if (::stat(dir.c_str(), &now) == 0 && held.st_ino == now.st_ino) {
        if (read_at(fd, "report.json", j) && read_at(fd, "a.csv", a) && read_at(fd, "b.md", b))
          (a == "a " + j + "\n" && b == "b " + j + "\n" ? locked_whole : mixed)++;
        else
          locked_missing++;
      }
      ::close(fd);
    }
  });
  for (std::thread& t : writers) t.join();
  done = true;
  reader.join();
  locked_reader.join();
  INFO("whole " << whole << ", replaced while read " << replaced << ", locked " << locked_whole);
  CHECK(mixed == 0);
  CHECK(locked_missing == 0);
  CHECK(whole + locked_whole > 0);
  const std::string last = slurp_file((dir / "report.json").string());
  CHECK(set_is(dir, last));
  CHECK(leftovers(tmp.path(), "chipshock-set") == 0);
}

TEST_CASE("concurrent runs into one --out leave one run's whole set", "[hostile][sets]") {
  TempDir tmp;
  const std::string run = kSampleRun + "--paths 20k --backend cpu --threads 1 --quiet ";
  // Each seed's deterministic files, from a run of its own.
  std::map<std::string, std::string> reference;
  for (int seed = 1; seed <= 3; ++seed) {
    const std::string out = tmp.file("ref" + std::to_string(seed));
    REQUIRE(run_chipshock(run + "--seed " + std::to_string(seed) + " --out '" + out + "'").code ==
            0);
    reference[std::to_string(seed)] =
        slurp_file(out + "/scenarios.csv") + slurp_file(out + "/components.csv");
  }
  const std::string shared = tmp.file("shared");
  std::string script = "cd '" + std::string(CHIPSHOCK_SOURCE_DIR) + "' && ";
  for (int seed = 1; seed <= 3; ++seed)
    script += "( for k in 1 2 3 4; do '" + std::string(CHIPSHOCK_BINARY) + "' " + run +
              "--seed " + std::to_string(seed) + " --out '" + shared + "' || exit 1; done ) & ";
  script += "wait";
  REQUIRE(std::system(("bash -c \"" + script + "\" 2>'" + tmp.file("err") + "'").c_str()) == 0);
  CAPTURE(slurp_file(tmp.file("err")));
  const nlohmann::json j = nlohmann::json::parse(slurp_file(shared + "/report.json"));
  const std::string seed = std::to_string(j.at("run").at("seed").get<unsigned long long>());
  REQUIRE(reference.count(seed) == 1);
  CHECK(slurp_file(shared + "/scenarios.csv") + slurp_file(shared + "/components.csv") ==
        reference[seed]);
  CHECK(leftovers(tmp.path(), "chipshock-set") == 0);
  CHECK(leftovers(shared, ".tmp.") == 0);
}

TEST_CASE("a file-size limit below what a command writes is refused before any work",
          "[hostile][space]") {
  TempDir tmp;
  const std::string out = tmp.file("reports");
  const std::string run = kSampleRun + "--paths 20k --backend cpu --threads 1 --quiet ";
  REQUIRE(run_chipshock(run + "--out '" + out + "'").code == 0);
  const std::string before = slurp_file(out + "/report.json") + slurp_file(out + "/report.html");
  struct Case {
    std::string what, limit_kib, args, expect;
  };
  const std::vector<Case> cases = {
      {"run --out", "16", run + "--out '" + out + "'", "--out: the reports: a file"},
      {"run --checkpoint", "8", run + "--checkpoint '" + tmp.file("ck") + "'",
       "--checkpoint: the checkpoint and its temporary copy: a file"},
      {"run --json into a file", "32", run + "--json", "--json: report.json: a file"},
      {"backtest --out", "16",
       "backtest --portfolio scenarios/portfolio/ai_book.toml --from 2024-01-26 --to "
       "2025-01-27 --quiet --out '" +
           tmp.file("bt") + "'",
       "--out: the backtest: a file"},
      {"calibrate --out", "16",
       "calibrate --prices scenarios/data/prices --window 250 --quiet --out '" +
           tmp.file("m.toml") + "'",
       "--out: the market file and its temporary copy: a file"},
      {"reverse into a file", "16",
       "reverse --market scenarios/market/ai_chips.toml --portfolio "
       "scenarios/portfolio/ai_book.toml --factor ai_capex --target-loss 2e6 --paths 20k "
       "--json",
       "--json: the result: a file"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const CliResult r = run_chipshock(c.args, "ulimit -f " + c.limit_kib + " &&");
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains(c.expect));
    CHECK_THAT(r.err, Contains("file-size limit"));
    CHECK(r.out.empty());
  }
  CHECK(slurp_file(out + "/report.json") + slurp_file(out + "/report.html") == before);
  CHECK_FALSE(fs::exists(tmp.file("ck")));
  CHECK_FALSE(fs::exists(tmp.file("m.toml")));
}

TEST_CASE("a disk without room for the outputs is refused, naming what and how much",
          "[hostile][space]") {
  TempDir tmp;
  struct statvfs vfs {};
  REQUIRE(::statvfs(tmp.path().c_str(), &vfs) == 0);
  const std::uint64_t free_bytes =
      static_cast<std::uint64_t>(vfs.f_bfree) * static_cast<std::uint64_t>(vfs.f_frsize);
  const std::uint64_t more = free_bytes + (std::uint64_t{1} << 30);
  try {
    check_space({{tmp.path().string(), more, 1 << 20, "--out", "the reports"}});
    FAIL("not refused");
  } catch (const InputError& e) {
    CHECK_THAT(std::string(e.what()), Contains("--out"));
    CHECK_THAT(std::string(e.what()), Contains("the reports (" + bytes_text(more) + ")"));
    CHECK_THAT(std::string(e.what()), Contains("free"));
  }
  // Two needs on one file system add up: each fits, both do not.
  try {
    check_space({{tmp.path().string(), more / 2 + 1, 1 << 20, "--out", "the reports"},
                 {tmp.path().string(), more / 2 + 1, 1 << 20, "--checkpoint", "the checkpoint"}});
    FAIL("not refused");
  } catch (const InputError& e) {
    CHECK_THAT(std::string(e.what()), Contains("the reports"));
    CHECK_THAT(std::string(e.what()), Contains("the checkpoint"));
  }
  // What fits passes, and leaves nothing behind (the reservation is an unnamed file).
  CHECK_NOTHROW(check_space({{tmp.path().string(), 1 << 20, 1 << 20, "--out", "the reports"}}));
  CHECK(fs::is_empty(tmp.path()));
  // A missing folder is named.
  CHECK_THROWS_WITH(check_space({{tmp.file("absent"), 1, 1, "--out", "x"}}),
                    Contains("cannot read folder"));
}

TEST_CASE("the dry run's bound on the reports holds for real runs of many shapes",
          "[hostile][space]") {
  TempDir tmp;
  std::string book = "name = \"many options\"\ncash = 1000.0\n";
  const char* tickers[] = {"NVDA", "AVGO", "TSM", "AMD", "MU", "ASML", "MSFT", "GOOGL", "META",
                           "AMZN"};
  for (int i = 0; i < 300; ++i)
    book += "[[positions]]\nticker = \"" + std::string(tickers[i % 10]) + "\"\ntype = \"" +
            (i % 2 ? "put" : "call") + "\"\nquantity = 10.0\nstrike = " +
            std::to_string(100 + i) + ".0\nexpiry_days = 63\n";
  const std::string many = tmp.write("many.toml", book);
  std::string all;
  for (const char* s : {"ai_capex_cut", "cheaper_model_disruption", "export_restrictions",
                        "rates_shock", "taiwan_supply_disruption"})
    all += std::string("--scenario ") + s + " ";
  const std::string base = "run --market scenarios/market/ai_chips.toml --paths 20k --backend "
                           "cpu --threads 2 --quiet ";
  const std::vector<std::string> shapes = {
      "--portfolio scenarios/portfolio/ai_book.toml",
      "--portfolio scenarios/portfolio/ai_book.toml " + all +
          "--what-if scenarios/portfolio/what_if_nvda_hedge.toml",
      "--portfolio scenarios/portfolio/ai_book.toml --horizon 252 --stop-loss 1e6 " + all,
      "--portfolio scenarios/portfolio/ai_book.toml --replay 2025-01-27 --method historical "
      "--target-rel-error 0.05 --max-paths 200k",
      "--portfolio '" + many + "' " + all,
      "--portfolio scenarios/portfolio/ai_desks.toml --stop-loss 1e6 " + all,  // a hierarchy
  };
  const std::regex bound_re("at most about ([0-9.]+) (KiB|MiB)");
  for (const std::string& shape : shapes) {
    INFO(shape);
    const std::string out = tmp.file("out");
    fs::remove_all(out);
    const CliResult dry = run_chipshock(base + shape + " --out '" + out + "' --dry-run");
    REQUIRE(dry.code == 0);
    std::smatch m;
    REQUIRE(std::regex_search(dry.out, m, bound_re));
    const double bound = std::stod(m[1]) * (m[2] == "KiB" ? 1024.0 : 1048576.0);
    REQUIRE(run_chipshock(base + shape + " --out '" + out + "'").code == 0);
    double actual = 0;
    for (const fs::directory_entry& e : fs::directory_iterator(out))
      actual += static_cast<double>(e.file_size());
    CAPTURE(bound, actual);
    CHECK(actual <= bound);
    CHECK(bound <= 8 * actual);  // a bound, not a refusal of runs that would fit
  }
}
