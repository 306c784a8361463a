// `chipshock reverse`: the smallest factor shock that lifts the book's ES to a target loss.
#pragma once

#include <string>

namespace chipshock {

struct ReverseOptions {
  std::string market, portfolio, factor;
  std::string target_loss;
  std::string confidence = "0.99";
  int horizon_days = 1;
  std::string paths = "200k";
  std::string seed = "0";
  int threads = 0;
  bool json = false;
  bool quiet = false;
};

int reverse_command(const ReverseOptions& options);

}  // namespace chipshock
