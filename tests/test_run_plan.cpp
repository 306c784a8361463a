// The rules between `chipshock run` options live in one function (host/app/run_plan.hpp's
// check_option_rules): each clash is refused there, naming the option, and nothing else is.
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "host/app/run_plan.hpp"
#include "host/input_error.hpp"

using namespace chipshock;

namespace {

// The option the refusal names ("" = accepted): its message reads "command line: OPTION: ...".
std::string refused_field(const RunOptions& o, int world_size) {
  try {
    check_option_rules(o, world_size);
  } catch (const InputError& e) {
    const std::string m = e.what();
    const std::string prefix = "command line: ";
    if (m.rfind(prefix, 0) != 0) return "?" + m;
    return m.substr(prefix.size(), m.find(':', prefix.size()) - prefix.size());
  }
  return "";
}

}  // namespace

TEST_CASE("every rule between run options is checked in one place", "[cli][rules]") {
  struct Case {
    std::string what;
    std::function<void(RunOptions&)> set;
    int world_size;
    std::string field;  // "" = accepted
  };
  const std::vector<Case> cases = {
      {"defaults", [](RunOptions&) {}, 1, ""},
      {"defaults under mpirun", [](RunOptions&) {}, 4, ""},
      {"sobol with antithetic",
       [](RunOptions& o) {
         o.rng = RngKind::kSobol;
         o.antithetic = true;
       },
       1, "--antithetic"},
      {"sobol alone", [](RunOptions& o) { o.rng = RngKind::kSobol; }, 1, ""},
      {"importance sampling on the GPU",
       [](RunOptions& o) {
         o.importance_sampling = true;
         o.backend = BackendChoice::kGpu;
       },
       1, ""},
      {"importance sampling with both",
       [](RunOptions& o) {
         o.importance_sampling = true;
         o.backend = BackendChoice::kBoth;
       },
       1, ""},
      {"importance sampling with a checkpoint",
       [](RunOptions& o) {
         o.importance_sampling = true;
         o.checkpoint = "run.ckpt";
       },
       1, ""},
      {"importance sampling under mpirun", [](RunOptions& o) { o.importance_sampling = true; }, 2,
       ""},
      {"importance sampling, auto backend", [](RunOptions& o) { o.importance_sampling = true; }, 1,
       ""},
      {"both under mpirun", [](RunOptions& o) { o.backend = BackendChoice::kBoth; }, 2,
       "--backend"},
      {"both with a checkpoint",
       [](RunOptions& o) {
         o.backend = BackendChoice::kBoth;
         o.checkpoint = "run.ckpt";
       },
       1, "--backend"},
      {"max paths without a target", [](RunOptions& o) { o.max_paths = "10M"; }, 1, "--max-paths"},
      {"max paths with a target",
       [](RunOptions& o) {
         o.max_paths = "10M";
         o.target_rel_error = 0.01;
       },
       1, ""},
      {"resume without a checkpoint", [](RunOptions& o) { o.resume = true; }, 1, "--resume"},
      {"resume with a checkpoint",
       [](RunOptions& o) {
         o.resume = true;
         o.checkpoint = "run.ckpt";
       },
       1, ""},
  };
  for (const Case& c : cases) {
    RunOptions o;
    c.set(o);
    INFO(c.what);
    CHECK(refused_field(o, c.world_size) == c.field);
  }
}
