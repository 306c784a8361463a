// The built-in scenarios and the shipped price history live in the project's `scenarios/`
// folder. It is found wherever the program is run from: $CHIPSHOCK_DATA_DIR if set, else next
// to the executable (../scenarios, ../../scenarios, ../share/chipshock/scenarios), else the
// source tree the binary was built from.
#pragma once

#include <string>
#include <vector>

#include "host/scenario/scenario.hpp"

namespace chipshock {

// The `scenarios/` folder, or "" when none is found.
std::string data_root();
// The data folder a front end ships beside itself (the installed Python package's scenarios/),
// tried after CHIPSHOCK_DATA_DIR and before the folders near the executable.
void set_data_root_fallback(const std::string& dir);

// Built-in scenario files (scenarios/builtin/*.toml), sorted by name.
std::vector<std::string> builtin_scenario_files();

// A --scenario argument: a built-in name, or a path to a scenario file. Throws InputError for
// an unknown name (listing the built-ins) or a missing file.
std::string resolve_scenario(const std::string& name_or_file);

// The shipped daily price history (scenarios/data/prices), or "" when none is found.
std::string default_prices_dir();

}  // namespace chipshock
