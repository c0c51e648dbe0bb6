#include "report/svg_chart.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <regex>
#include <sstream>

namespace trainbench::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- a small XML scanner: enough to tell balanced, escaped markup from broken ----

std::string tag_name(const std::string& tag) {
  const std::size_t end = tag.find_first_of(" \t\n/");
  return tag.substr(0, end);
}

::testing::AssertionResult WellFormed(const std::string& xml) {
  // Every '&' starts one of the entities xml_escape writes.
  static const char* const kEntities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
  for (std::size_t at = xml.find('&'); at != std::string::npos; at = xml.find('&', at + 1)) {
    const bool known = std::any_of(std::begin(kEntities), std::end(kEntities), [&](const char* entity) {
      return xml.compare(at, std::strlen(entity), entity) == 0;
    });
    if (!known) return ::testing::AssertionFailure() << "bare '&' at " << at << ": " << xml.substr(at, 20);
  }
  std::vector<std::string> open;
  bool root_seen = false;
  for (std::size_t i = 0; i < xml.size(); ++i) {
    const char c = xml[i];
    if (c == '>') return ::testing::AssertionFailure() << "stray '>' at " << i;
    if (c != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(c))) {
        return ::testing::AssertionFailure() << "text outside the root element at " << i;
      }
      continue;
    }
    const std::size_t close = xml.find('>', i);
    if (close == std::string::npos) return ::testing::AssertionFailure() << "tag never closed at " << i;
    const std::string tag = xml.substr(i + 1, close - i - 1);
    if (tag.find('<') != std::string::npos) return ::testing::AssertionFailure() << "'<' inside a tag: " << tag;
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) {
      return ::testing::AssertionFailure() << "unbalanced quotes: <" << tag << ">";
    }
    if (!tag.empty() && tag[0] == '/') {
      const std::string name = tag_name(tag.substr(1));
      if (open.empty() || open.back() != name) {
        return ::testing::AssertionFailure() << "</" << name << "> closes <" << (open.empty() ? "" : open.back())
                                             << ">";
      }
      open.pop_back();
    } else {
      const std::string name = tag_name(tag);
      if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) {
        return ::testing::AssertionFailure() << "bad tag name: <" << tag << ">";
      }
      if (open.empty() && root_seen) return ::testing::AssertionFailure() << "a second root element: <" << tag << ">";
      root_seen = true;
      if (tag.back() != '/') open.push_back(name);
    }
    i = close;
  }
  if (!root_seen) return ::testing::AssertionFailure() << "no element at all";
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> never closed";
  return ::testing::AssertionSuccess();
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// What every chart must satisfy, whatever its data.
void ExpectValidSvg(const std::string& svg) {
  EXPECT_TRUE(WellFormed(svg)) << svg;
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", 0), 0u) << svg;
  EXPECT_NE(svg.find("role=\"img\""), std::string::npos);
  const std::string lower = lowercase(svg);
  EXPECT_EQ(lower.find("nan"), std::string::npos) << svg;
  EXPECT_EQ(lower.find("inf"), std::string::npos) << svg;
  // Attribute numbers carry at most two decimals.
  static const std::regex long_decimal("=\"[^\"]*[0-9]\\.[0-9]{3}");
  EXPECT_FALSE(std::regex_search(svg, long_decimal)) << svg;
}

std::string Line(const LineChartSpec& spec) {
  const std::string svg = line_chart_svg(spec);
  ExpectValidSvg(svg);
  return svg;
}

std::string Bars(const BarChartSpec& spec) {
  const std::string svg = bar_chart_svg(spec);
  ExpectValidSvg(svg);
  return svg;
}

// ---- reading charts back ----

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
  return count;
}

// The opening tags of <tag ...> elements whose class list holds `class_name`.
std::vector<std::string> Elements(const std::string& svg, const std::string& tag, const std::string& class_name) {
  std::vector<std::string> found;
  const std::regex pattern("<" + tag + "\\b[^>]*\\bclass=\"([^\"]*)\"[^>]*>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), pattern); it != std::sregex_iterator(); ++it) {
    std::istringstream classes((*it)[1].str());
    std::string one;
    while (classes >> one) {
      if (one == class_name) {
        found.push_back(it->str());
        break;
      }
    }
  }
  return found;
}

std::string Attribute(const std::string& element, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const std::size_t at = element.find(key);
  if (at == std::string::npos) return "";
  const std::size_t begin = at + key.size();
  return element.substr(begin, element.find('"', begin) - begin);
}

double Number(const std::string& element, const std::string& name) {
  const std::string text = Attribute(element, name);
  EXPECT_FALSE(text.empty()) << name << " missing in " << element;
  return text.empty() ? kNaN : std::stod(text);
}

struct Xy {
  double x;
  double y;
};

// The points of a path's "M x y L x y ..." data.
std::vector<Xy> PathPoints(const std::string& path_element) {
  std::string d = Attribute(path_element, "d");
  std::replace(d.begin(), d.end(), 'M', ' ');
  std::replace(d.begin(), d.end(), 'L', ' ');
  std::istringstream numbers(d);
  std::vector<Xy> points;
  Xy point{};
  while (numbers >> point.x >> point.y) points.push_back(point);
  return points;
}

struct PlotBox {
  double left, top, right, bottom;
};

PlotBox Plot(const std::string& svg) {
  const auto plots = Elements(svg, "rect", "plot");
  EXPECT_EQ(plots.size(), 1u);
  if (plots.empty()) return {0, 0, 0, 0};
  const double x = Number(plots[0], "x");
  const double y = Number(plots[0], "y");
  return {x, y, x + Number(plots[0], "width"), y + Number(plots[0], "height")};
}

bool Inside(const PlotBox& box, double x, double y, double tolerance = 0.01) {
  return x >= box.left - tolerance && x <= box.right + tolerance && y >= box.top - tolerance &&
         y <= box.bottom + tolerance;
}

LineChartSpec TwoCurves() {
  LineChartSpec spec;
  spec.title = "Loss & accuracy";
  spec.x_label = "step";
  spec.y_label = "value";
  Series loss{"train loss", {{0, 2.3}, {100, 1.1}, {200, 0.7}, {300, 0.5}, {400, 0.42}}, "", false, false};
  Series accuracy{"eval accuracy", {{0, 0.1}, {100, 0.6}, {200, 0.82}, {300, 0.88}, {400, 0.9}}, "", true, true};
  spec.series = {loss, accuracy};
  return spec;
}

// ---- nice_ticks ----

void ExpectEvenlySpaced(const AxisTicks& ticks) {
  ASSERT_GE(ticks.values.size(), 2u);
  EXPECT_DOUBLE_EQ(ticks.values.front(), ticks.min);
  EXPECT_DOUBLE_EQ(ticks.values.back(), ticks.max);
  for (std::size_t i = 1; i < ticks.values.size(); ++i) {
    EXPECT_NEAR(ticks.values[i] - ticks.values[i - 1], ticks.step, ticks.step * 1e-9);
  }
  // 1, 2, 2.5 or 5 times a power of ten.
  const double mantissa = ticks.step / std::pow(10.0, std::floor(std::log10(ticks.step)));
  EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 || std::abs(mantissa - 2.5) < 1e-9 ||
              std::abs(mantissa - 5) < 1e-9)
      << "step " << ticks.step;
}

TEST(SvgChart, NiceTicksUnitRange) {
  const AxisTicks ticks = nice_ticks(0.0, 1.0);
  EXPECT_DOUBLE_EQ(ticks.min, 0.0);
  EXPECT_DOUBLE_EQ(ticks.max, 1.0);
  EXPECT_DOUBLE_EQ(ticks.step, 0.2);
  ASSERT_EQ(ticks.values.size(), 6u);
  EXPECT_DOUBLE_EQ(ticks.values[3], 0.6);  // not 0.6000000000000001
  ExpectEvenlySpaced(ticks);
}

TEST(SvgChart, NiceTicksRoundOutward) {
  const AxisTicks ticks = nice_ticks(0.0, 97.0);
  EXPECT_DOUBLE_EQ(ticks.min, 0.0);
  EXPECT_DOUBLE_EQ(ticks.max, 100.0);
  EXPECT_DOUBLE_EQ(ticks.step, 20.0);
  EXPECT_EQ(ticks.values, (std::vector<double>{0, 20, 40, 60, 80, 100}));

  const AxisTicks quarters = nice_ticks(0.0, 10.0, 4);
  EXPECT_DOUBLE_EQ(quarters.step, 2.5);
  EXPECT_EQ(quarters.values, (std::vector<double>{0, 2.5, 5, 7.5, 10}));

  const AxisTicks swapped = nice_ticks(97.0, 0.0);
  EXPECT_DOUBLE_EQ(swapped.min, 0.0);
  EXPECT_DOUBLE_EQ(swapped.max, 100.0);
}

TEST(SvgChart, NiceTicksSingleValueGetsARangeAroundIt) {
  const AxisTicks three = nice_ticks(3.0, 3.0);
  EXPECT_LT(three.min, 3.0);
  EXPECT_GT(three.max, 3.0);
  ExpectEvenlySpaced(three);

  const AxisTicks zero = nice_ticks(0.0, 0.0);
  EXPECT_LT(zero.min, 0.0);
  EXPECT_GT(zero.max, 0.0);
  ExpectEvenlySpaced(zero);
}

TEST(SvgChart, NiceTicksNegativeRanges) {
  const AxisTicks below = nice_ticks(-7.3, -2.1);
  EXPECT_LE(below.min, -7.3);
  EXPECT_GE(below.max, -2.1);
  EXPECT_LT(below.max, 0.0);
  ExpectEvenlySpaced(below);

  const AxisTicks across = nice_ticks(-42.0, 17.0);
  EXPECT_DOUBLE_EQ(across.min, -50.0);
  EXPECT_DOUBLE_EQ(across.max, 20.0);
  EXPECT_DOUBLE_EQ(across.step, 10.0);
  EXPECT_NE(std::find(across.values.begin(), across.values.end(), 0.0), across.values.end());
}

TEST(SvgChart, NiceTicksTinyAndHugeScales) {
  const AxisTicks tiny = nice_ticks(0.0, 3e-6);
  EXPECT_DOUBLE_EQ(tiny.min, 0.0);
  EXPECT_GE(tiny.max, 3e-6);
  EXPECT_NEAR(tiny.step, 5e-7, 1e-20);
  ExpectEvenlySpaced(tiny);

  const AxisTicks offset = nice_ticks(1.000001, 1.000004);
  EXPECT_LE(offset.min, 1.000001);
  EXPECT_GE(offset.max, 1.000004);
  EXPECT_LE(offset.values.size(), 12u);
  ExpectEvenlySpaced(offset);

  const AxisTicks huge = nice_ticks(0.0, 3.2e12);
  EXPECT_DOUBLE_EQ(huge.step, 5e11);
  EXPECT_DOUBLE_EQ(huge.max, 3.5e12);
  ExpectEvenlySpaced(huge);

  // The widest doubles still give finite ticks.
  const double biggest = std::numeric_limits<double>::max();
  const AxisTicks extreme = nice_ticks(-biggest, biggest);
  for (const double value : extreme.values) EXPECT_TRUE(std::isfinite(value));
  EXPECT_TRUE(std::isfinite(extreme.step));
  EXPECT_GT(extreme.step, 0.0);
}

TEST(SvgChart, NiceTicksNonFiniteInputGivesUnitRange) {
  for (const auto& [low, high] : std::vector<std::pair<double, double>>{{kNaN, 1.0}, {0.0, kInf}, {-kInf, kInf}}) {
    const AxisTicks ticks = nice_ticks(low, high);
    EXPECT_DOUBLE_EQ(ticks.min, 0.0);
    EXPECT_DOUBLE_EQ(ticks.max, 1.0);
    ExpectEvenlySpaced(ticks);
  }
}

TEST(SvgChart, NiceTicksCoverTheRangeWithAboutTargetIntervals) {
  const std::vector<std::pair<double, double>> ranges = {
      {0.13, 0.87}, {1.0, 1.5}, {-0.004, 0.011}, {17.0, 9000.0}, {0.0, 1e-9}, {250.0, 251.0}, {-3e5, -2e5}};
  for (const auto& [low, high] : ranges) {
    for (const int target : {2, 4, 5, 8}) {
      const AxisTicks ticks = nice_ticks(low, high, target);
      SCOPED_TRACE(std::to_string(low) + ".." + std::to_string(high) + " target " + std::to_string(target));
      EXPECT_LE(ticks.min, low);
      EXPECT_GE(ticks.max, high);
      const double intervals = static_cast<double>(ticks.values.size() - 1);
      EXPECT_GE(intervals, target * 0.5);
      EXPECT_LE(intervals, target * 1.6 + 2);
      ExpectEvenlySpaced(ticks);
    }
  }
}

// ---- format_tick, xml_escape, palette ----

TEST(SvgChart, FormatTick) {
  EXPECT_EQ(format_tick(0.25, 0.25), "0.25");
  EXPECT_EQ(format_tick(0.5, 0.25), "0.50");
  EXPECT_EQ(format_tick(0.30000000000000004, 0.1), "0.3");
  EXPECT_EQ(format_tick(0.0, 0.25), "0");
  EXPECT_EQ(format_tick(1e-17, 0.1), "0");  // a sum of steps that should be zero
  EXPECT_EQ(format_tick(-0.0, 1.0), "0");
  EXPECT_EQ(format_tick(-5.0, 2.5), "-5.0");
  EXPECT_EQ(format_tick(20.0, 20.0), "20");
  EXPECT_EQ(format_tick(1500.0, 500.0), "1500");
  EXPECT_EQ(format_tick(7500.0, 2500.0), "7500");
  EXPECT_EQ(format_tick(10000.0, 2500.0), "10k");
  EXPECT_EQ(format_tick(12500.0, 2500.0), "12.5k");
  EXPECT_EQ(format_tick(-20000.0, 10000.0), "-20k");
  EXPECT_EQ(format_tick(1.5e6, 5e5), "1.5M");
  EXPECT_EQ(format_tick(3e9, 1e9), "3G");
  EXPECT_EQ(format_tick(0.0001, 0.0001), "0.0001");
  EXPECT_EQ(format_tick(1e-5, 1e-5), "1e-05");
  EXPECT_EQ(format_tick(2.5e-5, 2.5e-6), "2.5e-05");
  EXPECT_EQ(format_tick(kNaN, 1.0), "n/a");
  EXPECT_EQ(format_tick(3.0, 0.0), "3");  // no usable step
}

TEST(SvgChart, XmlEscape) {
  EXPECT_EQ(xml_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  EXPECT_EQ(xml_escape("plain text"), "plain text");
  EXPECT_EQ(xml_escape("0.95x \xC2\xB7 within 10%"), "0.95x \xC2\xB7 within 10%");  // UTF-8 kept
  EXPECT_EQ(xml_escape(std::string("bell\x07") + "tab\t"), "belltab\t");       // not allowed in XML
  EXPECT_EQ(xml_escape("&amp;"), "&amp;amp;");
}

TEST(SvgChart, PaletteCyclesThroughDistinctColours) {
  EXPECT_EQ(palette_color(0), "#0072B2");
  EXPECT_EQ(palette_color(1), "#E69F00");
  std::vector<std::string> colors;
  std::size_t size = 1;
  while (palette_color(size) != palette_color(0)) ++size;
  for (std::size_t i = 0; i < size; ++i) colors.push_back(palette_color(i));
  EXPECT_GE(size, 6u);
  EXPECT_EQ(palette_color(size + 2), palette_color(2));
  std::sort(colors.begin(), colors.end());
  EXPECT_EQ(std::unique(colors.begin(), colors.end()), colors.end());
  EXPECT_EQ(std::find(colors.begin(), colors.end(), "#F0E442"), colors.end());  // yellow on white
}

// ---- line charts ----

TEST(SvgChart, LineChartHasSeriesLegendAndLabels) {
  const std::string svg = Line(TwoCurves());
  EXPECT_EQ(Elements(svg, "path", "series").size(), 2u);
  EXPECT_NE(svg.find("<title>Loss &amp; accuracy</title>"), std::string::npos);
  EXPECT_NE(svg.find(">step</text>"), std::string::npos);
  EXPECT_NE(svg.find("rotate(-90"), std::string::npos);
  EXPECT_NE(svg.find(">value</text>"), std::string::npos);
  // Both names in the legend group, and as the hover title of each path.
  const std::size_t legend = svg.find("<g class=\"legend\">");
  ASSERT_NE(legend, std::string::npos);
  const std::string legend_group = svg.substr(legend, svg.find("</g>", legend) - legend);
  EXPECT_NE(legend_group.find(">train loss</text>"), std::string::npos);
  EXPECT_NE(legend_group.find(">eval accuracy</text>"), std::string::npos);
  EXPECT_NE(svg.find("<title>train loss</title></path>"), std::string::npos);
  // Palette colours, the second series dashed with a marker per point.
  const auto series = Elements(svg, "path", "series");
  EXPECT_EQ(Attribute(series[0], "stroke"), palette_color(0));
  EXPECT_EQ(Attribute(series[1], "stroke"), palette_color(1));
  EXPECT_EQ(Attribute(series[0], "fill"), "none");
  EXPECT_EQ(Attribute(series[0], "stroke-dasharray"), "");
  EXPECT_NE(Attribute(series[1], "stroke-dasharray"), "");
  EXPECT_EQ(Elements(svg, "circle", "marker").size(), 5u);
  EXPECT_FALSE(Elements(svg, "line", "grid").empty());
  EXPECT_FALSE(Elements(svg, "text", "tick-label").empty());
}

TEST(SvgChart, LineChartMapsDataIntoThePlot) {
  LineChartSpec spec = TwoCurves();
  spec.series[0].points = {{0, 1.0}, {100, 3.0}, {200, 9.5}, {300, 4.0}, {400, 2.0}};
  const std::string svg = Line(spec);
  const PlotBox plot = Plot(svg);
  EXPECT_LT(plot.left, plot.right);
  EXPECT_LT(plot.top, plot.bottom);
  const std::vector<Xy> drawn = PathPoints(Elements(svg, "path", "series")[0]);
  ASSERT_EQ(drawn.size(), spec.series[0].points.size());
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    EXPECT_TRUE(Inside(plot, drawn[i].x, drawn[i].y)) << drawn[i].x << "," << drawn[i].y;
    if (i > 0) {
      EXPECT_GT(drawn[i].x, drawn[i - 1].x);
    }
  }
  // The largest value is drawn highest: SVG y grows downwards.
  const auto highest = std::min_element(drawn.begin(), drawn.end(), [](Xy a, Xy b) { return a.y < b.y; });
  EXPECT_EQ(highest - drawn.begin(), 2);
  // The x range is the data's: first and last point on the plot's edges.
  EXPECT_NEAR(drawn.front().x, plot.left, 0.01);
  EXPECT_NEAR(drawn.back().x, plot.right, 0.01);
  // y includes zero (at the bottom edge), so even the smallest value sits above it.
  EXPECT_LT(drawn[0].y, plot.bottom - 1.0);
}

TEST(SvgChart, LineChartWithoutDataSaysSo) {
  LineChartSpec spec;
  spec.title = "Empty";
  const std::string none = Line(spec);
  EXPECT_EQ(Elements(none, "text", "no-data").size(), 1u);
  EXPECT_NE(none.find(">no data</text>"), std::string::npos);
  EXPECT_EQ(Elements(none, "rect", "plot").size(), 1u);

  spec.series = {{"only gaps", {{kNaN, 1.0}, {2.0, kInf}}, "", false, false}, {"empty", {}, "", false, false}};
  const std::string gaps = Line(spec);
  EXPECT_EQ(Elements(gaps, "text", "no-data").size(), 1u);
  EXPECT_TRUE(Elements(gaps, "path", "series").empty());
}

TEST(SvgChart, LineChartSinglePointIsAVisibleDotInside) {
  LineChartSpec spec;
  spec.series = {{"one", {{5.0, 3.0}}, "", false, false}};
  for (const bool include_zero : {true, false}) {
    spec.include_zero = include_zero;
    const std::string svg = Line(spec);
    const PlotBox plot = Plot(svg);
    const auto circles = Elements(svg, "circle", "marker");
    ASSERT_EQ(circles.size(), 1u);
    const double cx = Number(circles[0], "cx");
    const double cy = Number(circles[0], "cy");
    // Strictly inside: not on an edge, where half the dot would be cut off.
    EXPECT_GT(cx, plot.left + 1.0);
    EXPECT_LT(cx, plot.right - 1.0);
    EXPECT_GT(cy, plot.top + 1.0);
    EXPECT_LT(cy, plot.bottom - 1.0);
    EXPECT_NEAR(cx, (plot.left + plot.right) / 2.0, 0.01);  // x is padded evenly around the point
    if (!include_zero) {
      EXPECT_NEAR(cy, (plot.top + plot.bottom) / 2.0, 0.01);
    }
  }
}

TEST(SvgChart, LineChartFlatSeriesSitsInside) {
  LineChartSpec spec;
  spec.include_zero = false;
  spec.series = {{"flat", {{0, 7.0}, {1, 7.0}, {2, 7.0}}, "", false, false}};
  const std::string svg = Line(spec);
  const PlotBox plot = Plot(svg);
  for (const Xy& point : PathPoints(Elements(svg, "path", "series")[0])) {
    EXPECT_GT(point.y, plot.top + 1.0);
    EXPECT_LT(point.y, plot.bottom - 1.0);
  }
}

TEST(SvgChart, LineChartSkipsNonFinitePoints) {
  LineChartSpec spec;
  spec.series = {{"gappy", {{0, 1}, {1, 2}, {2, kNaN}, {3, 3}, {4, 2}, {kInf, 1}, {6, 1}}, "", false, false}};
  const std::string svg = Line(spec);
  const std::string path = Elements(svg, "path", "series")[0];
  // Three runs: 0-1, 3-4 and the lone point 6, which gets a dot instead of a line.
  EXPECT_EQ(Count(Attribute(path, "d"), "M"), 2u);
  EXPECT_EQ(PathPoints(path).size(), 4u);
  EXPECT_EQ(Elements(svg, "circle", "marker").size(), 1u);
}

TEST(SvgChart, LineChartClipsPointsOutsideTheAxisRange) {
  LineChartSpec spec;
  spec.x_min = 0.0;
  spec.x_max = 10.0;
  spec.y_min = 0.0;
  spec.y_max = 1.0;
  spec.series = {{"wild", {{-5, 0.5}, {2, 0.5}, {4, 1e200}, {6, 0.2}, {8, -3}, {20, 0.5}}, "", false, true}};
  const std::string svg = Line(spec);
  const PlotBox plot = Plot(svg);
  const std::vector<Xy> drawn = PathPoints(Elements(svg, "path", "series")[0]);
  ASSERT_FALSE(drawn.empty());
  for (const Xy& point : drawn) EXPECT_TRUE(Inside(plot, point.x, point.y)) << point.x << "," << point.y;
  // Markers only for the points within the range: 2 and 6.
  const auto markers = Elements(svg, "circle", "marker");
  EXPECT_EQ(markers.size(), 2u);
  for (const auto& circle : markers) EXPECT_TRUE(Inside(plot, Number(circle, "cx"), Number(circle, "cy")));
  // Cut where the lines cross the edges: in from the left, out at the top
  // towards 1e200, last out at the bottom towards -3.
  EXPECT_NEAR(drawn.front().x, plot.left, 0.01);
  EXPECT_TRUE(std::any_of(drawn.begin(), drawn.end(), [&](Xy p) { return std::abs(p.y - plot.top) < 0.01; }));
  EXPECT_NEAR(drawn.back().y, plot.bottom, 0.01);
  // The series is drawn inside a clip path.
  EXPECT_NE(svg.find("<g clip-path=\"url(#"), std::string::npos);
}

TEST(SvgChart, LineChartExplicitRangeSetsTheAxes) {
  LineChartSpec spec;
  spec.x_min = 0.0;
  spec.x_max = 100.0;
  spec.series = {{"", {{25, 1}, {50, 2}}, "", false, false}};
  const std::string svg = Line(spec);
  const PlotBox plot = Plot(svg);
  const std::vector<Xy> drawn = PathPoints(Elements(svg, "path", "series")[0]);
  ASSERT_EQ(drawn.size(), 2u);
  const double width = plot.right - plot.left;
  EXPECT_NEAR(drawn[0].x, plot.left + 0.25 * width, 0.02);
  EXPECT_NEAR(drawn[1].x, plot.left + 0.5 * width, 0.02);
  // A nameless series stays out of the legend.
  EXPECT_EQ(svg.find("class=\"legend\""), std::string::npos);
}

TEST(SvgChart, LineChartBands) {
  LineChartSpec spec = TwoCurves();
  spec.bands = {{0, 100, "cold epoch", ""}, {250, 300, "eval <pass>", "#56B4E9"}, {900, 1000, "off the axis", ""}};
  const std::string svg = Line(spec);
  const auto bands = Elements(svg, "rect", "band");
  ASSERT_EQ(bands.size(), 2u);
  EXPECT_NE(svg.find(">cold epoch</text>"), std::string::npos);
  EXPECT_NE(svg.find(">eval &lt;pass&gt;</text>"), std::string::npos);
  EXPECT_EQ(svg.find("off the axis"), std::string::npos);
  const PlotBox plot = Plot(svg);
  for (const auto& band : bands) {
    const double x = Number(band, "x");
    EXPECT_TRUE(Inside(plot, x, Number(band, "y")));
    EXPECT_TRUE(Inside(plot, x + Number(band, "width"), Number(band, "y") + Number(band, "height")));
    EXPECT_NEAR(Number(band, "height"), plot.bottom - plot.top, 0.01);
  }
  EXPECT_NEAR(Number(bands[0], "x"), plot.left, 0.01);
  EXPECT_EQ(Attribute(bands[1], "fill"), "#56B4E9");
}

TEST(SvgChart, LineChartClipIdsAreUniquePerChartAndStable) {
  const std::regex defined("<clipPath id=\"([^\"]+)\"");
  const std::regex used("clip-path=\"url\\(#([^)]+)\\)\"");
  const auto id_of = [&](const std::string& svg) {
    std::smatch match;
    EXPECT_TRUE(std::regex_search(svg, match, defined));
    const std::string id = match[1];
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), used); it != std::sregex_iterator(); ++it) {
      EXPECT_EQ((*it)[1].str(), id);  // every use refers to the chart's own clip path
    }
    return id;
  };
  LineChartSpec first = TwoCurves();
  LineChartSpec second = TwoCurves();
  second.title = "Another chart";
  const std::string a = Line(first);
  const std::string b = Line(second);
  EXPECT_NE(id_of(a), id_of(b));
  EXPECT_EQ(Line(first), a);  // the same chart gives the same text
}

TEST(SvgChart, LineChartColoursAndEscaping) {
  LineChartSpec spec;
  spec.title = "<script>alert(\"x\")</script>";
  spec.x_label = "a & b";
  spec.series = {{"mine", {{0, 1}, {1, 2}}, palette_color(0), false, false},
                 {"auto", {{0, 2}, {1, 1}}, "", false, false},
                 {"it's", {{0, 0}, {1, 3}}, "", false, false}};
  const std::string svg = Line(spec);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;alert(&quot;x&quot;)"), std::string::npos);
  EXPECT_NE(svg.find(">a &amp; b</text>"), std::string::npos);
  EXPECT_NE(svg.find(">it&#39;s</text>"), std::string::npos);
  // The unnamed colours skip the one a series asked for.
  const auto series = Elements(svg, "path", "series");
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(Attribute(series[0], "stroke"), palette_color(0));
  EXPECT_EQ(Attribute(series[1], "stroke"), palette_color(1));
  EXPECT_EQ(Attribute(series[2], "stroke"), palette_color(2));
}

TEST(SvgChart, LineChartLongLegendWrapsBelowTheTitle) {
  LineChartSpec spec;
  spec.title = "A rather long chart title that takes up half of the width";
  for (int i = 0; i < 8; ++i) {
    const double y = i;
    spec.series.push_back({"series number " + std::to_string(i), {{0, y}, {1, y + 1}}, "", false, false});
  }
  const std::string svg = Line(spec);
  const PlotBox plot = Plot(svg);
  const std::size_t legend = svg.find("<g class=\"legend\">");
  ASSERT_NE(legend, std::string::npos);
  const std::string group = svg.substr(legend, svg.find("</g>", legend) - legend);
  const std::regex text_y("<text x=\"([-0-9.]+)\" y=\"([-0-9.]+)\"");
  int texts = 0;
  for (auto it = std::sregex_iterator(group.begin(), group.end(), text_y); it != std::sregex_iterator(); ++it) {
    ++texts;
    EXPECT_GE(std::stod((*it)[1]), 0.0);
    EXPECT_LT(std::stod((*it)[2]), plot.top);  // the legend stays above the plot
  }
  EXPECT_EQ(texts, 8);
}

// ---- bar charts ----

BarChartSpec ThreeRuns() {
  BarChartSpec spec;
  spec.title = "Throughput";
  spec.value_label = "images/s";
  spec.bars = {{"run A", 100.0, "1.00x", "", false},
               {"run B", 50.0, "0.50x \xC2\xB7 slower", "", false},
               {"published", 75.0, "reference", "", true}};
  return spec;
}

TEST(SvgChart, BarWidthsAreProportionalToValues) {
  const std::string svg = Bars(ThreeRuns());
  const auto bars = Elements(svg, "rect", "bar");
  ASSERT_EQ(bars.size(), 3u);
  const double a = Number(bars[0], "width");
  const double b = Number(bars[1], "width");
  const double c = Number(bars[2], "width");
  EXPECT_GT(b, 0.0);
  EXPECT_NEAR(a / b, 2.0, 0.02);
  EXPECT_NEAR(c / b, 1.5, 0.015);
  // All bars start at the same x and fit in the chart.
  const double width = std::stod(Attribute(svg.substr(0, svg.find('>')), "width"));
  for (const auto& bar : bars) {
    EXPECT_DOUBLE_EQ(Number(bar, "x"), Number(bars[0], "x"));
    EXPECT_LE(Number(bar, "x") + Number(bar, "width"), width);
  }
}

TEST(SvgChart, BarChartReferenceAnnotationAndTitles) {
  const std::string svg = Bars(ThreeRuns());
  const auto references = Elements(svg, "rect", "reference");
  ASSERT_EQ(references.size(), 1u);
  EXPECT_EQ(Attribute(references[0], "fill-opacity"), "0.45");
  EXPECT_NE(Attribute(references[0], "stroke-dasharray"), "");
  EXPECT_EQ(Attribute(Elements(svg, "rect", "bar")[0], "fill-opacity"), "");
  EXPECT_NE(svg.find("0.50x \xC2\xB7 slower"), std::string::npos);
  EXPECT_NE(svg.find("<title>run B: 50 0.50x \xC2\xB7 slower</title>"), std::string::npos);
  EXPECT_NE(svg.find(">images/s</text>"), std::string::npos);
  EXPECT_NE(svg.find(">run A</text>"), std::string::npos);
  EXPECT_FALSE(Elements(svg, "line", "grid").empty());
  EXPECT_FALSE(Elements(svg, "text", "tick-label").empty());
}

TEST(SvgChart, BarChartValueTexts) {
  BarChartSpec spec;
  spec.bars = {{"big", 1520.4, "", "", false}, {"mid", 53.81, "", "", false}, {"small", 0.95123, "", "", false},
               {"broken", kNaN, "", "", false}, {"negative", -3.0, "", "", false}};
  const std::string svg = Bars(spec);
  EXPECT_NE(svg.find("<title>big: 1520</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>mid: 53.8</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>small: 0.951</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>broken: n/a</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>negative: n/a</title>"), std::string::npos);
  const auto bars = Elements(svg, "rect", "bar");
  ASSERT_EQ(bars.size(), 5u);
  EXPECT_DOUBLE_EQ(Number(bars[3], "width"), 0.0);
  EXPECT_DOUBLE_EQ(Number(bars[4], "width"), 0.0);
}

TEST(SvgChart, BarChartEscapesAndShortensLabels) {
  BarChartSpec spec;
  spec.bars = {{"<&> resnet", 10.0, "a<b", "", false},
               {std::string(200, 'x'), 20.0, "", "", false}};
  const std::string svg = Bars(spec);
  EXPECT_NE(svg.find(">&lt;&amp;&gt; resnet</text>"), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b"), std::string::npos);
  // The long label is cut to its column; the full text is its hover title.
  EXPECT_NE(svg.find("\xE2\x80\xA6"), std::string::npos);
  EXPECT_NE(svg.find("<title>" + std::string(200, 'x') + "</title>"), std::string::npos);
  const auto bars = Elements(svg, "rect", "bar");
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_LT(Number(bars[0], "x"), 760.0 * 0.4);
  EXPECT_NEAR(Number(bars[1], "width") / Number(bars[0], "width"), 2.0, 0.02);
}

TEST(SvgChart, BarChartWithoutBarsSaysSo) {
  BarChartSpec spec;
  spec.title = "Nothing yet";
  const std::string svg = Bars(spec);
  EXPECT_EQ(Elements(svg, "text", "no-data").size(), 1u);
  EXPECT_TRUE(Elements(svg, "rect", "bar").empty());

  spec.bars = {{"zero", 0.0, "", "", false}};
  const std::string zero = Bars(spec);
  ASSERT_EQ(Elements(zero, "rect", "bar").size(), 1u);
  EXPECT_DOUBLE_EQ(Number(Elements(zero, "rect", "bar")[0], "width"), 0.0);
}

TEST(SvgChart, BarChartHeightFollowsTheRows) {
  BarChartSpec spec = ThreeRuns();
  const auto height_of = [](const std::string& svg) {
    return std::stod(Attribute(svg.substr(0, svg.find('>')), "height"));
  };
  const double three = height_of(Bars(spec));
  spec.bars.push_back({"run D", 10.0, "", "", false});
  const double four = height_of(Bars(spec));
  EXPECT_NEAR(four - three, 26.0, 4.0);
}

TEST(SvgChart, WellFormedCheckCatchesBrokenMarkup) {
  EXPECT_TRUE(WellFormed("<svg><g><rect/></g><text>a &amp; b</text></svg>"));
  EXPECT_FALSE(WellFormed("<svg><g></svg>"));
  EXPECT_FALSE(WellFormed("<svg><text>a & b</text></svg>"));
  EXPECT_FALSE(WellFormed("<svg><text>a < b</text></svg>"));
  EXPECT_FALSE(WellFormed("<svg><rect x=\"1/></svg>"));
  EXPECT_FALSE(WellFormed("<svg></svg><svg></svg>"));
}

}  // namespace
}  // namespace trainbench::report
