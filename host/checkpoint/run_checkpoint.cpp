#include "host/checkpoint/run_checkpoint.hpp"

#include <fstream>
#include <sstream>
#include <string_view>

#include "host/content_hash.hpp"
#include "host/input_error.hpp"
#include "host/report/run_report.hpp"

namespace chipshock {

namespace {

const std::string kFirstLine = "chipshock checkpoint v1\n";
const char* const kStartOver =
    "run the same command (same inputs and settings), or delete the "
    "checkpoint to start over";

void put_u64(std::string& out, std::uint64_t v) {
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
}

std::string read_all(const std::string& path, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, field, "cannot read the file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

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
  h["schema"] = "chipshock.checkpoint.v1";
  h["settings"] = c.settings;
  h["inputs"] = c.inputs;
  h["rank"] = c.rank;
  h["ranks"] = c.ranks;
  h["range"] = {c.range.first, c.range.last};
  h["scenarios"] = nlohmann::json::array();
  for (const ScenarioCheckpoint& s : c.scenarios)
    h["scenarios"].push_back(
        {{"name", s.name}, {"next_path", s.next_path}, {"seconds", s.seconds}});
  const std::string header = h.dump();
  std::string out = kFirstLine;
  put_u64(out, header.size());
  out += header;
  for (const ScenarioCheckpoint& s : c.scenarios) {
    put_u64(out, s.state.size());
    out += s.state;
  }
  put_u64(out, fnv1a64(out));
  return out;
}

RunCheckpoint decode_checkpoint(const std::string& bytes, const std::string& path) {
  const auto bad = [&](const std::string& why) {
    return InputError(path, 0, "--resume", "not a usable checkpoint: " + why, kStartOver);
  };
  if (bytes.compare(0, kFirstLine.size(), kFirstLine) != 0)
    throw bad("it does not start with '" + kFirstLine.substr(0, kFirstLine.size() - 1) + "'");
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
    std::size_t end = bytes.size() - 8;
    std::uint64_t stored = 0;
    for (std::size_t b = 0; b < 8; ++b)
      stored |= std::uint64_t{static_cast<unsigned char>(bytes[end + b])} << (8 * b);
    if (stored != fnv1a64(std::string_view(bytes).substr(0, end)))
      throw bad("checksum mismatch (damaged file)");
  }
  RunCheckpoint c;
  try {
    const nlohmann::json h = nlohmann::json::parse(get_bytes(get_u64()));
    if (h.at("schema") != "chipshock.checkpoint.v1") throw bad("unknown schema");
    c.settings = h.at("settings");
    c.inputs = h.at("inputs");
    c.rank = h.at("rank").get<int>();
    c.ranks = h.at("ranks").get<int>();
    c.range = {h.at("range").at(0).get<std::uint64_t>(), h.at("range").at(1).get<std::uint64_t>()};
    for (const nlohmann::json& s : h.at("scenarios")) {
      ScenarioCheckpoint sc;
      sc.name = s.at("name").get<std::string>();
      sc.next_path = s.at("next_path").get<std::uint64_t>();
      sc.seconds = s.at("seconds").get<double>();
      sc.state = get_bytes(get_u64());
      c.scenarios.push_back(std::move(sc));
    }
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("bad header: ") + e.what());
  }
  if (pos + 8 != bytes.size()) throw bad("unexpected length");
  return c;
}

void write_checkpoint(const std::string& path, const RunCheckpoint& c) {
  write_file_atomically(path, encode_checkpoint(c));
}

RunCheckpoint read_checkpoint(const std::string& path) {
  return decode_checkpoint(read_all(path, "--checkpoint"), path);
}

void check_resumable(const RunCheckpoint& saved, const RunCheckpoint& now,
                     const std::string& path) {
  if (saved.ranks != now.ranks || saved.rank != now.rank)
    throw InputError(path, 0, "--resume",
                     "the checkpoint was written by " + std::to_string(saved.ranks) +
                         " process(es); this run has " + std::to_string(now.ranks),
                     "resume with the same number of MPI ranks (mpirun -np " +
                         std::to_string(saved.ranks) + "), or delete the checkpoint");
  for (const auto& [key, value] : now.settings.items()) {
    const nlohmann::json old =
        saved.settings.contains(key) ? saved.settings[key] : nlohmann::json();
    if (old != value)
      throw InputError(path, 0, "--resume",
                       "the checkpoint was written with " + key + " = " + old.dump() +
                           "; this run has " + value.dump(),
                       kStartOver);
  }
  if (saved.settings.size() != now.settings.size())
    throw InputError(path, 0, "--resume", "the checkpoint's settings differ from this run's",
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
                           " changed since the checkpoint was written",
                       kStartOver);
  }
  if (saved.range.first != now.range.first || saved.range.last != now.range.last)
    throw InputError(path, 0, "--resume", "the checkpoint covers other paths", kStartOver);
}

}  // namespace chipshock
