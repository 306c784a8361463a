// chipshock is built for x86-64-v3 (AVX2, FMA, BMI1/2, ...). On an older CPU the first such
// instruction would kill the program with SIGILL and no word of why, so this file, compiled for
// plain x86-64, checks the CPU before any other code of the program runs (a constructor of the
// highest priority a program may use) and exits with code 3 and a clear message instead.
#include <unistd.h>

#include <cstring>

namespace {

// What -march=x86-64-v3 lets the compiler use and __builtin_cpu_supports can name in both GCC
// and clang. (The OS's support of the AVX registers is part of the "avx" check.)
const char* first_missing_feature() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx")) return "AVX";
  if (!__builtin_cpu_supports("avx2")) return "AVX2";
  if (!__builtin_cpu_supports("fma")) return "FMA";
  if (!__builtin_cpu_supports("bmi")) return "BMI1";
  if (!__builtin_cpu_supports("bmi2")) return "BMI2";
  return nullptr;
}

__attribute__((constructor(101))) void refuse_cpu_without_baseline() {
  const char* missing = first_missing_feature();
  if (missing == nullptr) return;
  // No iostream or printf here: nothing that may not have been set up yet.
  const char* parts[] = {"chipshock: this CPU has no ", missing,
                         ", which this build needs (it is built for x86-64-v3: AVX2, FMA, BMI2; "
                         "any x86-64 CPU since 2015 has them)\n"};
  for (const char* p : parts) {
    const ssize_t ignored = ::write(2, p, std::strlen(p));
    (void)ignored;
  }
  _exit(3);
}

}  // namespace
