#pragma once
// Charts as inline SVG text for the HTML and Markdown reports: line charts
// (curves over steps or seconds, telemetry lanes) and horizontal bar charts
// (throughput of several runs, with the ratio to the first). Pure C++17: no
// LibTorch, no I/O. The SVG is self-contained (no fonts, scripts or links to
// fetch), has a viewBox so it scales with the page, and a <title> on each
// series and bar so a browser shows the value on hover.
#include <optional>
#include <string>
#include <vector>

namespace trainbench::report {

struct Point {
  double x = 0.0;
  double y = 0.0;
};

struct Series {
  std::string name;            // in the legend; "" leaves it out of the legend
  std::vector<Point> points;   // in x order; non-finite points are skipped
  std::string color;           // CSS colour; "" takes the next of the palette
  bool dashed = false;
  bool markers = false;        // a dot at each point (always drawn for a single point)
};

// A shaded stretch of the x axis with a label, e.g. an Eval pass, the first
// (cold) epoch, or the warm-up of a bench test.
struct Band {
  double x_begin = 0.0;
  double x_end = 0.0;
  std::string label;
  std::string color;  // "" = a light grey
};

struct LineChartSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  std::vector<Band> bands;
  // Axis ranges; unset: from the data (y includes 0 when include_zero).
  // Lanes of one report set the same x range so their time axes line up.
  std::optional<double> x_min, x_max, y_min, y_max;
  bool include_zero = true;
  int width = 760;
  int height = 220;
};

// Always valid SVG. With no finite point at all it draws the frame and the
// text "no data". One point (or all x equal / all y equal) gets a range
// around it so it lands inside the plot, not on an edge or at NaN.
std::string line_chart_svg(const LineChartSpec& spec);

struct Bar {
  std::string label;        // left of the bar
  double value = 0.0;       // non-finite or negative: drawn empty, value shown as "n/a"
  std::string annotation;   // right of the value, e.g. "0.95x · within 10%"
  std::string color;        // "" = palette colour of the bar's index
  bool reference = false;   // a published figure, not a measurement: drawn hatched/lighter
};

struct BarChartSpec {
  std::string title;
  std::string value_label;  // e.g. "images/s"
  std::vector<Bar> bars;
  int width = 760;          // height follows the number of bars
};

std::string bar_chart_svg(const BarChartSpec& spec);

// "Nice" axis ticks (1, 2, 2.5 or 5 times a power of ten) covering [low, high]
// with about `target` intervals: min <= low, max >= high, values from min to
// max by step. low == high gets a range around the value; non-finite input
// gives 0..1.
struct AxisTicks {
  double min = 0.0;
  double max = 1.0;
  double step = 0.25;
  std::vector<double> values;
};
AxisTicks nice_ticks(double low, double high, int target = 5);

// A tick label with as many decimals as the step needs ("0.25", "1500",
// "2.5k" from 10000 on, "1.5M", "1e-05" for tiny steps).
std::string format_tick(double value, double step);

// Text safe inside XML/HTML text and attribute values (& < > " ').
std::string xml_escape(const std::string& text);

// The palette colour for index i (colour-blind-safe, cycles).
std::string palette_color(std::size_t i);

}  // namespace trainbench::report
