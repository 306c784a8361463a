// Killing a run with SIGKILL at a chosen point of its checkpoint, for the resume tests.
#pragma once

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "cli_util.hpp"
#include "host/checkpoint/run_checkpoint.hpp"

namespace chipshock::testing {

// Starts `args`, and kills it with SIGKILL once its checkpoint satisfies `ready`. Returns the
// checkpoint as it was when killed.
inline chipshock::RunCheckpoint kill_when(const std::string& args, const std::string& ckpt, const std::string& log,
                        const std::function<bool(const chipshock::RunCheckpoint&)>& ready) {
  const long pid = start_chipshock(args, log);
  REQUIRE(pid > 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(400);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!std::filesystem::exists(ckpt)) continue;
    chipshock::RunCheckpoint c;
    try {
      c = chipshock::read_checkpoint(ckpt);
    } catch (const std::exception&) {
      continue;  // cannot happen (written atomically); retry rather than fail
    }
    if (ready(c)) {
      REQUIRE(::kill(static_cast<pid_t>(pid), SIGKILL) == 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return c;
    }
  }
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  INFO("log: " << slurp_file(log));
  FAIL("the run ended or never reached the point where it was to be killed");
  return {};
}

}  // namespace chipshock::testing
