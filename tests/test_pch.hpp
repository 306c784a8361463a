// The headers nearly every test program includes, compiled once into a precompiled header that
// every test program reuses (tests/CMakeLists.txt): Catch2's header alone is about a third of a
// test file's compile time. Include-guarded as usual, so a test still includes what it uses.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/risk_engine.hpp"
