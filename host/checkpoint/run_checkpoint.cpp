#include "host/checkpoint/run_checkpoint.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <type_traits>

#include "host/files/durable_file.hpp"
#include "host/content_hash.hpp"
#include "host/input_error.hpp"
#include "host/stats/accumulator_state.hpp"

namespace chipshock {

namespace {

const std::string kFirstLine = "chipshock checkpoint v2\n";
const char* const kSchema = "chipshock.checkpoint.v2";
const char* const kStartOver =
    "run the same command (same inputs and settings), or delete the "
    "checkpoint to start over";

void put_u64(std::string& out, std::uint64_t v) {
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
}

std::string read_all(const std::string& path, const std::string& field) {
  // Only a regular file (a symbolic link to one included): a FIFO would block, /dev/zero never
  // end.
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
    throw InputError(path, 0, field,
                     std::filesystem::is_directory(st) ? "is a folder, not a file"
                                                       : "is not a regular file (a FIFO, device "
                                                         "or socket): refused");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, field, "cannot read the file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::uint64_t bits_of(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
double double_of(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// A convergence row as [paths, [[8 doubles' bits] per level]]: exact, NaN and Inf included.
nlohmann::json row_json(const ConvergencePoint& row) {
  nlohmann::json levels = nlohmann::json::array();
  for (const LevelRisk& l : row.levels)
    levels.push_back({bits_of(l.confidence), bits_of(l.var), bits_of(l.es), bits_of(l.var_lo),
                      bits_of(l.var_hi), bits_of(l.es_se), bits_of(l.es_lo), bits_of(l.es_hi)});
  return {row.paths, levels};
}

// A whole number from the header: nlohmann's get<T>() of a fraction, or of a value out of T's
// range, is undefined behaviour, so anything but a JSON integer in range is refused.
template <typename T>
T whole_number(const nlohmann::json& v) {
  static_assert(std::is_integral_v<T>, "a whole number");
  constexpr auto most = static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  if (v.is_number_unsigned()) {
    if (const auto u = v.get<std::uint64_t>(); u <= most) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (i >= 0 && static_cast<std::uint64_t>(i) <= most) return static_cast<T>(i);
    if (i < 0 && std::is_signed_v<T> &&
        i >= static_cast<std::int64_t>(std::numeric_limits<T>::min()))
      return static_cast<T>(i);
  }
  throw std::domain_error("not a whole number in range: " + v.dump().substr(0, 40));
}

ConvergencePoint row_of(const nlohmann::json& j) {
  ConvergencePoint row;
  row.paths = whole_number<std::uint64_t>(j.at(0));
  for (const nlohmann::json& l : j.at(1)) {
    const auto at = [&](std::size_t k) { return double_of(whole_number<std::uint64_t>(l.at(k))); };
    LevelRisk r;
    r.confidence = at(0);
    r.var = at(1);
    r.es = at(2);
    r.var_lo = at(3);
    r.var_hi = at(4);
    r.es_se = at(5);
    r.es_lo = at(6);
    r.es_hi = at(7);
    row.levels.push_back(r);
  }
  return row;
}

}  // namespace

ScenarioCheckpoint to_checkpoint(const std::string& name, const ScenarioProgress& p) {
  ScenarioCheckpoint c;
  c.name = name;
  c.done = p.done;
  c.reached = p.reached;
  c.next_path = p.next_path;
  c.complete = p.complete;
  c.target_met = p.target_met;
  c.seconds = p.seconds;
  c.table = p.table;
  if (p.acc) c.state = encode_accumulator(*p.acc);
  return c;
}

ScenarioProgress from_checkpoint(const ScenarioCheckpoint& c) {
  ScenarioProgress p;
  p.done = c.done;
  p.reached = c.reached;
  p.next_path = c.next_path;
  p.complete = c.complete;
  p.target_met = c.target_met;
  p.seconds = c.seconds;
  p.table = c.table;
  if (!c.state.empty()) p.acc = decode_accumulator(c.state);
  return p;
}

std::string checkpoint_path(const std::string& file, int rank, int ranks) {
  if (ranks <= 1) return file;
  return file + ".rank" + std::to_string(rank) + "of" + std::to_string(ranks);
}

nlohmann::json input_fingerprint(const std::string& file) {
  const std::string bytes = read_all(file, "input");
  return {{"file", file}, {"bytes", bytes.size()}, {"fnv1a64", fnv1a64(bytes)}};
}

std::string encode_checkpoint(const RunCheckpoint& c) {
  nlohmann::json h;
  h["schema"] = kSchema;
  h["settings"] = c.settings;
  h["inputs"] = c.inputs;
  h["rank"] = c.rank;
  h["ranks"] = c.ranks;
  h["scenarios"] = nlohmann::json::array();
  for (const ScenarioCheckpoint& s : c.scenarios) {
    nlohmann::json table = nlohmann::json::array();
    for (const ConvergencePoint& row : s.table) table.push_back(row_json(row));
    h["scenarios"].push_back({{"name", s.name},
                              {"done", s.done},
                              {"reached", s.reached},
                              {"next_path", s.next_path},
                              {"complete", s.complete},
                              {"target_met", s.target_met},
                              {"seconds", s.seconds},
                              {"convergence", table}});
    if (!s.observer.empty()) h["scenarios"].back()["observer"] = s.observer.size();
  }
  const std::string header = h.dump();
  std::string out = kFirstLine;
  put_u64(out, header.size());
  out += header;
  for (const ScenarioCheckpoint& s : c.scenarios) {
    put_u64(out, s.state.size());
    out += s.state;
    for (const std::string& image : s.observer) {
      put_u64(out, image.size());
      out += image;
    }
  }
  put_u64(out, fnv1a64(out));
  return out;
}

RunCheckpoint decode_checkpoint(const std::string& bytes, const std::string& path) {
  const auto bad = [&](const std::string& why) {
    return InputError(path, 0, "--resume", "not a usable checkpoint: " + why, kStartOver);
  };
  if (bytes.compare(0, kFirstLine.size(), kFirstLine) != 0) {
    if (bytes.compare(0, 21, "chipshock checkpoint ") == 0)
      throw InputError(path, 0, "--resume",
                       "checkpoint written by another version of chipshock (" +
                           bytes.substr(0, bytes.find('\n')).substr(0, 40) +
                           "; this one reads v2)",
                       "finish that run with the chipshock that started it, or delete the "
                       "checkpoint to start over");
    throw bad("it does not start with '" + kFirstLine.substr(0, kFirstLine.size() - 1) + "'");
  }
  std::size_t pos = kFirstLine.size();
  const auto get_u64 = [&]() {
    if (bytes.size() - pos < 8) throw bad("truncated");
    std::uint64_t v = 0;
    for (std::size_t b = 0; b < 8; ++b)
      v |= std::uint64_t{static_cast<unsigned char>(bytes[pos + b])} << (8 * b);
    pos += 8;
    return v;
  };
  const auto get_bytes = [&](std::uint64_t n) {
    if (bytes.size() - pos < n) throw bad("truncated");
    std::string s = bytes.substr(pos, static_cast<std::size_t>(n));
    pos += static_cast<std::size_t>(n);
    return s;
  };
  if (bytes.size() < pos + 16) throw bad("truncated");
  {
    const std::size_t end = bytes.size() - 8;
    std::uint64_t stored = 0;
    for (std::size_t b = 0; b < 8; ++b)
      stored |= std::uint64_t{static_cast<unsigned char>(bytes[end + b])} << (8 * b);
    if (stored != fnv1a64(std::string_view(bytes).substr(0, end)))
      throw bad("checksum mismatch (damaged file)");
  }
  RunCheckpoint c;
  try {
    const nlohmann::json h = nlohmann::json::parse(get_bytes(get_u64()));
    if (h.at("schema") != kSchema) throw bad("unknown schema");
    c.settings = h.at("settings");
    c.inputs = h.at("inputs");
    // What check_resumable reads: settings by key, inputs as {file, bytes, fnv1a64} objects.
    if (!c.settings.is_object()) throw bad("bad header: settings is not an object");
    if (!c.inputs.is_array()) throw bad("bad header: inputs is not a list");
    for (const nlohmann::json& in : c.inputs)
      if (!in.is_object() || !in.contains("file") || !in.at("file").is_string())
        throw bad("bad header: an input without its file name");
    c.rank = whole_number<int>(h.at("rank"));
    c.ranks = whole_number<int>(h.at("ranks"));
    for (const nlohmann::json& s : h.at("scenarios")) {
      ScenarioCheckpoint sc;
      sc.name = s.at("name").get<std::string>();
      sc.done = whole_number<std::uint64_t>(s.at("done"));
      sc.reached = whole_number<std::uint64_t>(s.at("reached"));
      sc.next_path = whole_number<std::uint64_t>(s.at("next_path"));
      sc.complete = s.at("complete").get<bool>();
      sc.target_met = s.at("target_met").get<bool>();
      sc.seconds = s.at("seconds").get<double>();
      for (const nlohmann::json& row : s.at("convergence")) sc.table.push_back(row_of(row));
      sc.state = get_bytes(get_u64());
      const auto images =
          s.contains("observer") ? whole_number<std::uint64_t>(s.at("observer")) : std::uint64_t{0};
      if (images > (bytes.size() - pos) / 8) throw bad("truncated");  // each at least its length
      for (std::uint64_t k = 0; k < images; ++k) sc.observer.push_back(get_bytes(get_u64()));
      c.scenarios.push_back(std::move(sc));
    }
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("bad header: ") + e.what());
  } catch (const std::domain_error& e) {
    throw bad(std::string("bad header: ") + e.what());
  }
  if (pos + 8 != bytes.size()) throw bad("unexpected length");
  return c;
}

void write_checkpoint(const std::string& path, const RunCheckpoint& c) {
  write_file_durably(path, encode_checkpoint(c));
}

RunCheckpoint read_checkpoint(const std::string& path) {
  return decode_checkpoint(read_all(path, "--checkpoint"), path);
}

void check_resumable(const RunCheckpoint& saved, const RunCheckpoint& now,
                     const std::string& path) {
  if (saved.ranks != now.ranks || saved.rank != now.rank)
    throw InputError(path, 0, "--resume",
                     "the checkpoint was written by rank " + std::to_string(saved.rank) +
                         " of " + std::to_string(saved.ranks) +
                         " process(es); this is rank " + std::to_string(now.rank) + " of " +
                         std::to_string(now.ranks),
                     "resume with the same number of MPI ranks (mpirun -np " +
                         std::to_string(saved.ranks) + "), or delete the checkpoint");
  // Settings added after a checkpoint format was in use, with the value a checkpoint written
  // before them means.
  static const nlohmann::json kAddedLater = {{"importance_sampling", false}};
  for (const auto& [key, value] : now.settings.items()) {
    const nlohmann::json old = saved.settings.contains(key) ? saved.settings[key]
                               : kAddedLater.contains(key)  ? kAddedLater[key]
                                                            : nlohmann::json();
    if (old != value)
      throw InputError(path, 0, "--resume",
                       "the checkpoint was written with " + key + " = " + old.dump() +
                           "; this run has " + value.dump(),
                       kStartOver);
  }
  for (const auto& [key, value] : saved.settings.items())
    if (!now.settings.contains(key))
      throw InputError(path, 0, "--resume",
                       "the checkpoint was written with " + key + " = " + value.dump() +
                           "; this run has no " + key,
                       kStartOver);
  if (saved.inputs.size() != now.inputs.size())
    throw InputError(path, 0, "--resume", "the checkpoint was written with other input files",
                     kStartOver);
  for (std::size_t k = 0; k < now.inputs.size(); ++k) {
    const nlohmann::json& a = saved.inputs[k];
    const nlohmann::json& b = now.inputs[k];
    if (a.at("file") != b.at("file"))
      throw InputError(path, 0, "--resume",
                       "the checkpoint was written with input " + a.at("file").dump() +
                           "; this run has " + b.at("file").dump(),
                       kStartOver);
    if (a != b)
      throw InputError(path, 0, "--resume",
                       "input file " + b.at("file").get<std::string>() +
                           " changed since the checkpoint was written (" +
                           a.value("bytes", nlohmann::json()).dump() + " bytes then, " +
                           b.value("bytes", nlohmann::json()).dump() + " now)",
                       kStartOver);
  }
}

nlohmann::json root_stages(const RunCheckpoint& root) {
  nlohmann::json stages = nlohmann::json::array();
  for (const ScenarioCheckpoint& s : root.scenarios)
    stages.push_back({s.done, s.complete});
  return stages;
}

void reconcile_with_root(RunCheckpoint& mine, const nlohmann::json& root,
                         const std::string& path) {
  const auto disagree = [&](std::size_t k) {
    return InputError(path, 0, "--resume",
                      "the ranks' checkpoints disagree on run " + std::to_string(k + 1) +
                          " (" + (k < mine.scenarios.size() ? mine.scenarios[k].name : "?") +
                          "): they are not from one run",
                      "delete the checkpoint files (FILE.rank*) to start over");
  };
  const std::size_t n = std::max(mine.scenarios.size(), root.size());
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t root_done = k < root.size() ? root[k].at(0).get<std::uint64_t>() : 0;
    const bool root_complete = k < root.size() && root[k].at(1).get<bool>();
    if (k >= mine.scenarios.size()) {  // never started here: rank 0 cannot have passed a stop
      if (root_done != 0) throw disagree(k);
      continue;
    }
    ScenarioCheckpoint& s = mine.scenarios[k];
    if (s.done == root_done && s.complete == root_complete) continue;
    if (s.done < root_done && s.reached == root_done) {  // rank 0 passed the stop I waited at
      s.done = root_done;
      s.complete = root_complete;
      if (root_complete && mine.rank != 0) s.state.clear();
      continue;
    }
    throw disagree(k);
  }
}

}  // namespace chipshock
