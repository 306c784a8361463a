// report.html: well-formed, self-contained, every chart drawn from data, user text escaped;
// the SVG building blocks (ticks, labels) on hand-checked cases.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "host/report/html_escape.hpp"
#include "host/report/html_report.hpp"
#include "host/report/report_charts.hpp"
#include "host/report/svg_chart.hpp"
#include "report_fixture.hpp"

using namespace chipshock;
using Catch::Matchers::Contains;

namespace {

std::size_t count_of(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// Every start tag is closed in order (void elements and <x .../> excepted). Returns "" or the
// first problem.
std::string nesting_problem(const std::string& html) {
  static const std::vector<std::string> kVoid = {"meta", "br", "hr", "img", "input", "link",
                                                 "col"};
  const std::regex tag(R"(<(/?)([a-zA-Z][a-zA-Z0-9]*)([^<>]*?)(/?)>)");
  std::vector<std::string> stack;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator();
       ++it) {
    const std::string name = (*it)[2];
    if (std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end() || (*it)[4] == "/") continue;
    if ((*it)[1] == "/") {
      if (stack.empty() || stack.back() != name)
        return "</" + name + "> closes <" + (stack.empty() ? "nothing" : stack.back()) + ">";
      stack.pop_back();
    } else {
      stack.push_back(name);
    }
  }
  return stack.empty() ? "" : "<" + stack.back() + "> never closed";
}

std::vector<std::string> svgs_in(const std::string& html) {
  std::vector<std::string> out;
  for (std::size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1))
    out.push_back(html.substr(p, html.find("</svg>", p) + 6 - p));
  return out;
}

// Every numeric attribute and path coordinate of a chart is a finite number.
void check_chart(const std::string& svg) {
  CAPTURE(svg.substr(0, 200));
  CHECK(count_of(svg, "class=\"mark\"") >= 1);  // at least one data mark
  const std::regex attr(R"re(\b(x|y|x1|x2|y1|y2|cx|cy|r|width|height)="([^"]*)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), attr); it != std::sregex_iterator();
       ++it) {
    const std::string v = (*it)[2];
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    CAPTURE(v);
    CHECK(end == v.c_str() + v.size());
    CHECK(std::isfinite(x));
  }
  const std::regex path(R"re(<path d="([^"]*)")re");
  int paths = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), path); it != std::sregex_iterator();
       ++it, ++paths) {
    const std::string d = (*it)[1];
    CAPTURE(d.substr(0, 80));
    CHECK(std::regex_match(d, std::regex(R"(M-?\d+\.\d\d,-?\d+\.\d\d( L-?\d+\.\d\d,-?\d+\.\d\d)*( Z)?)")));
  }
}

void check_page(const std::string& html) {
  CHECK(nesting_problem(html) == "");
  CHECK(count_of(html, "<svg") == count_of(html, "</svg>"));
  CHECK(count_of(html, "<table") == count_of(html, "</table>"));
  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Self-contained: nothing to fetch, nothing to run.
  for (const char* bad : {"http:", "https:", "src=", "@import", "url(", "<script", "<link",
                          "<img", "<iframe", "javascript:", "href="}) {
    CAPTURE(bad);
    CHECK(lower.find(bad) == std::string::npos);
  }
  // No NaN or infinity printed anywhere.
  CHECK_FALSE(std::regex_search(lower, std::regex(R"([^a-z](nan|inf)[^a-z])")));
  for (const std::string& svg : svgs_in(html)) check_chart(svg);
}

}  // namespace

TEST_CASE("the HTML report is well formed, self-contained, and every chart has data",
          "[report][html]") {
  const RunReport r = testing::small_report();
  const std::string html = report_html(r);
  check_page(html);
  // One comparison chart, one distribution chart per scenario, one fan chart; no component
  // chart (component ES is not computed), and the page says so.
  CHECK(svgs_in(html).size() == 1 + r.scenarios.size() + 1);
  CHECK_THAT(html, Contains("Not computed for this run (--no-components"));
  CHECK_THAT(html, Contains(r.portfolio_name) && Contains("2026-07-31") &&
                       Contains("Gaussian innovations") && Contains("20000 per scenario") &&
                       Contains("cpu, 2 CPU threads"));
  CHECK_THAT(html, Contains("@media print") && Contains("size: A4"));
  // No backend comparison unless the run had one.
  CHECK_THAT(html, !Contains("GPU vs CPU"));
}

TEST_CASE("text from scenario files is escaped everywhere in the HTML", "[report][html]") {
  const RunReport r = testing::small_report();
  const std::string html = report_html(r);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<b>tag") == std::string::npos);
  CHECK(html.find("<i>") == std::string::npos);
  CHECK_THAT(html, Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                            "&quot;quotes&quot;"));
  CHECK_THAT(html, Contains("evil&lt;i&gt;,&quot;name&quot;"));
  CHECK(escape_html("a<b>&\"'\x01") == "a&lt;b&gt;&amp;&quot;&#39; ");
}

TEST_CASE("entries without a distribution, components and a GPU comparison render sensibly",
          "[report][html]") {
  RunReport r = testing::small_report();
  r.scenarios.push_back(testing::replay_entry());
  r.scenarios[1].components = {{"NVDA", 0.99, 900000.0}, {"AMD", 0.99, 250000.0},
                               {"NVDA put", 0.99, -120000.0}};
  r.gpu_name = "Test GPU";
  r.backend = "both";
  r.comparison = BackendAgreement{"Test GPU", 0.1, 2.0, 3e-7, "to float rounding"};
  const std::string html = report_html(r);
  check_page(html);
  CHECK_THAT(html, Contains("No loss distribution: this entry (replay)"));
  CHECK_THAT(html, Contains("single loss 1,234,568"));
  CHECK_THAT(html, Contains("single historical loss"));  // the grey bar in the comparison
  CHECK_THAT(html, Contains("Contribution to ES by position"));
  CHECK_THAT(html, Contains("GPU vs CPU") && Contains("20.0\u00d7 faster") &&
                       Contains("Test GPU"));
  CHECK(contribution_chart(r.scenarios[0], "USD").empty());
  CHECK(loss_distribution_chart(r.scenarios[2], "USD").empty());
}

TEST_CASE("an empty fan and a degenerate histogram still give valid markup", "[report][html]") {
  RunReport r = testing::small_report(20000, 1);
  CHECK(r.fan.days == std::vector<int>{0, 1});
  r.fan = ValueFan{};
  // Every loss equal (a cash-only book): one narrow bin.
  const double same[4] = {5.0, 5.0, 5.0, 5.0};
  LossHistogram h(histogram_bins_from_pilot(same, 4));
  REQUIRE(h.has_bins());
  for (double x : same) h.add(x);
  r.scenarios[0].histogram = h;
  const std::string html = report_html(r);
  check_page(html);
  CHECK_THAT(html, Contains("Portfolio value over the horizon</h2>\n<p class=\"placeholder\">"
                            "Not computed"));
}

TEST_CASE("nice ticks and short labels", "[report][svg]") {
  const svg::Ticks t = svg::nice_ticks(0, 1e6, 5);
  CHECK(t.step == 200000.0);
  CHECK(t.values == std::vector<double>{0, 2e5, 4e5, 6e5, 8e5, 1e6});
  CHECK(svg::short_amount(1250000, 250000) == "1.25M");
  CHECK(svg::short_amount(0, 250000) == "0");
  CHECK(svg::short_amount(-2e6, 1e6) == "-2M");
  CHECK(svg::short_amount(500, 100) == "500");
  CHECK(svg::short_amount(2.5, 0.5) == "2.5");
  CHECK(svg::short_percent(0.01) == "1%");
  CHECK(svg::short_percent(1e-5) == "0.001%");
  CHECK(svg::log_ticks(1e-5, 0.1) == std::vector<double>{1e-5, 1e-4, 1e-3, 1e-2, 1e-1});
  double lo = 3, hi = 97;
  svg::nice_range(lo, hi, 5);
  CHECK(lo == 0);
  CHECK(hi == 100);
  CHECK(svg::num(NAN) == "0");
  CHECK(svg::num(-0.001) == "0.00");
}
