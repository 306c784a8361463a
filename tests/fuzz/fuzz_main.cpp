// libFuzzer entry point for one target of fuzz_targets.hpp, chosen at compile time by
// CHIPSHOCK_FUZZ_TARGET (market, portfolio, scenario or price_csv). Built only with clang and
// CHIPSHOCK_FUZZ=ON; scripts/ci_fuzz.sh runs each for a bounded time.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_targets.hpp"

#define CHIPSHOCK_CAT2(a, b) a##b
#define CHIPSHOCK_CAT(a, b) CHIPSHOCK_CAT2(a, b)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  chipshock::fuzz::CHIPSHOCK_CAT(CHIPSHOCK_FUZZ_TARGET, _input)(text);
  return 0;
}
