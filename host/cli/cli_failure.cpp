#include "host/cli/cli_failure.hpp"

#include <exception>
#include <iostream>
#include <new>

#include "host/cli/run_command.hpp"
#include "host/input_error.hpp"

namespace chipshock {

RankFailure failure_from_current_exception(int rank) {
  RankFailure f;
  f.rank = rank;
  try {
    throw;
  } catch (const AgreedFailure& e) {
    return e.failure;
  } catch (const InputError& e) {
    f.code = kExitBadInput;
    f.message = e.what();
    f.hint = e.hint();
  } catch (const GpuUnavailable& e) {
    f.code = kExitNoGpu;
    f.message = e.what();
  } catch (const std::bad_alloc&) {
    f.code = kExitInternal;
    f.message = "out of memory";
    f.hint = "use fewer --paths or a smaller --batch";
  } catch (const std::exception& e) {
    f.code = kExitInternal;
    f.message = std::string("internal error: ") + e.what();
  } catch (...) {
    f.code = kExitInternal;
    f.message = "internal error: unknown exception";
  }
  return f;
}

void print_failure(const RankFailure& f, int ranks) {
  std::cerr << "chipshock: ";
  if (ranks > 1 && f.rank != 0) std::cerr << "MPI rank " << f.rank << " of " << ranks << ": ";
  std::cerr << f.message << "\n";
  if (!f.hint.empty()) std::cerr << "hint: " << f.hint << "\n";
  std::cerr.flush();
}

}  // namespace chipshock
