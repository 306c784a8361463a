// The fuzzed entry points: one function per loader, shared by the libFuzzer executables
// (fuzz_main.cpp, clang only) and by test_fuzz_regressions.cpp, which replays the seed corpus and
// every saved crash on each build. Bad input must end in an InputError, which these functions
// swallow once they have checked that its message is one bounded line of printable text (what
// the CLI prints); anything else (another exception, a crash, a sanitizer report, a hang) is a bug.
#pragma once

#include <string>

namespace chipshock::fuzz {

// A market file; a market that loads is also turned into a SimSpec with one position.
void market_input(const std::string& text);
// A portfolio file against the sample market; one that loads is turned into a SimSpec.
void portfolio_input(const std::string& text);
// A scenario file; one that loads is applied to the sample market over 10 days (SimSpec too).
void scenario_input(const std::string& text);
// A price CSV: the text up to a line "--" is A.csv, the rest (if any) B.csv; both are loaded and
// inner-joined by load_price_history.
void price_csv_input(const std::string& text);
// A checkpoint file's bytes: decoded, each run's accumulator image restored, and a checkpoint
// or image that decodes encoded and decoded again to the same bytes; bad bytes must be refused
// with an InputError (exit 2, naming the file) or, for an image, AccumulatorStateError, never a
// crash, another exception or a huge allocation. Tried as they are, with their checksum made
// right (to reach the parsing behind it), and as one accumulator image.
void checkpoint_input(const std::string& bytes);

// The target called `name` (market, portfolio, scenario, price_csv, checkpoint), or nullptr.
using Target = void (*)(const std::string&);
Target target_named(const std::string& name);

}  // namespace chipshock::fuzz
