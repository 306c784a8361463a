#include "host/run_cancel.hpp"

namespace chipshock {

std::atomic<bool> run_cancel_flag{false};

}  // namespace chipshock
