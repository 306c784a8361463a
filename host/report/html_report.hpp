// report.html: one self-contained page (inline CSS and SVG; no scripts, fonts, images or links
// to fetch) that opens in any browser and prints to A4. Every text from input files is escaped.
#pragma once

#include <string>

#include "host/report/run_report.hpp"

namespace chipshock {

std::string report_html(const RunReport& r);

}  // namespace chipshock
