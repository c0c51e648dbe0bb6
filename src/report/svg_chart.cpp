#include "report/svg_chart.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <utility>

namespace trainbench::report {
namespace {

// Okabe-Ito, without its yellow (#F0E442): a thin yellow line is hard to see on white.
const char* const kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000"};
constexpr std::size_t kPaletteSize = sizeof kPalette / sizeof kPalette[0];

// Estimated text widths (px per character) for layout: the SVG fetches no
// fonts, so the browser's sans-serif decides; these err on the wide side.
constexpr double kCharWidth11 = 6.3;     // 11px text
constexpr double kCharWidth10 = 5.8;     // 10px text
constexpr double kCharWidthTitle = 7.6;  // 13px bold
constexpr double kBarLabelCharWidth = 7.0;

// Stands for the clip-path id while a chart is built: the id is a hash of the
// finished text, so the text must exist first. A control character can never
// come from user text (xml_escape drops those).
constexpr char kIdPlaceholder = '\x01';

// Attribute numbers: two decimals are a hundredth of a pixel, finer than any
// screen; trailing zeros go so the SVG stays small.
std::string num(double value) {
  if (!std::isfinite(value)) return "0";
  char text[64];
  std::snprintf(text, sizeof text, "%.2f", value);
  std::string out = text;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  if (out == "-0") out = "0";
  return out;
}

// "-0.00" (a tiny negative rounded away) reads as zero.
std::string drop_negative_zero(std::string text) {
  if (!text.empty() && text[0] == '-' && text.find_first_not_of("0.", 1) == std::string::npos) text.erase(0, 1);
  return text;
}

std::string trim_zeros(std::string text) {
  if (text.find('.') == std::string::npos || text.find('e') != std::string::npos) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string printf_double(const char* pattern, int precision, double value) {
  char text[512];
  std::snprintf(text, sizeof text, pattern, precision, value);
  return text;
}

// Characters, not bytes, of UTF-8 text ("·" and "×" are two bytes each).
std::size_t text_length(const std::string& text) {
  std::size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

double text_width(const std::string& text, double char_width) {
  return static_cast<double>(text_length(text)) * char_width;
}

// The first `keep` characters and an ellipsis; whole UTF-8 sequences only.
std::string shorten(const std::string& text, std::size_t max_chars) {
  if (text_length(text) <= max_chars) return text;
  const std::size_t keep = max_chars > 0 ? max_chars - 1 : 0;
  std::size_t chars = 0;
  std::size_t end = 0;
  for (; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0) != 0x80) {
      if (chars == keep) break;
      ++chars;
    }
  }
  return text.substr(0, end) + "\xE2\x80\xA6";  // …
}

// Decimals that show every multiple of `step` exactly (0.25 -> 2, 20 -> 0).
int decimals_for(double step) {
  for (int d = 0; d < 12; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::abs(scaled - std::round(scaled)) <= 1e-6 * scaled) return d;
  }
  return 12;
}

// A value for a tooltip: four significant digits are plenty on hover.
std::string compact(double value) {
  if (!std::isfinite(value)) return "n/a";
  return drop_negative_zero(printf_double("%.*g", 4, value));
}

// Bar values: plain numbers with about three significant digits ("1520",
// "53.8", "0.951"), never an exponent for figures people compare by eye.
std::string bar_value_text(double value) {
  if (!std::isfinite(value) || value < 0.0) return "n/a";
  if (value == 0.0) return "0";
  if (value >= 1e15 || value < 1e-4) return printf_double("%.*g", 3, value);
  if (value >= 999.5) return printf_double("%.*f", 0, value);
  const int decimals = std::clamp(2 - static_cast<int>(std::floor(std::log10(value))), 0, 6);
  return trim_zeros(printf_double("%.*f", decimals, value));
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

// Ids that differ whenever the charts differ (several charts share one HTML
// page) yet stay the same from run to run, so reports can be diffed. Two
// identical charts share an id, but then their clip rectangles are identical too.
std::string with_unique_ids(std::string svg) {
  char id[32];
  std::snprintf(id, sizeof id, "tbclip-%016llx", static_cast<unsigned long long>(fnv1a(svg)));
  std::string out;
  out.reserve(svg.size() + 64);
  for (const char c : svg) {
    if (c == kIdPlaceholder) {
      out += id;
    } else {
      out += c;
    }
  }
  return out;
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string svg_open(double width, double height, const std::string& title) {
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + num(width) + " " + num(height) +
                    "\" width=\"" + num(width) + "\" height=\"" + num(height) +
                    "\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">\n";
  if (!title.empty()) out += "<title>" + xml_escape(title) + "</title>\n";
  // Opaque, so the chart stays readable on a dark page.
  out += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"" + num(width) + "\" height=\"" + num(height) +
         "\" fill=\"#ffffff\"/>\n";
  return out;
}

std::string text_element(double x, double y, const std::string& content, const std::string& attributes) {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" " + attributes + ">" + xml_escape(content) + "</text>\n";
}

std::string chart_title(const std::string& title) {
  if (title.empty()) return "";
  return text_element(8, 17, title, "class=\"chart-title\" font-size=\"13\" font-weight=\"bold\" fill=\"#222222\"");
}

std::string line(double x1, double y1, double x2, double y2, const std::string& attributes) {
  return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\" " +
         attributes + "/>\n";
}

std::string rect(double x, double y, double width, double height, const std::string& attributes) {
  return "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(std::max(width, 0.0)) + "\" height=\"" +
         num(std::max(height, 0.0)) + "\" " + attributes + "/>\n";
}

struct Box {
  double left = 0.0;
  double top = 0.0;
  double right = 0.0;
  double bottom = 0.0;
  double width() const { return right - left; }
  double height() const { return bottom - top; }
  bool contains(double x, double y) const { return x >= left && x <= right && y >= top && y <= bottom; }
};

// Liang-Barsky: the part of segment a-b inside the box. Clipping here, not
// only with the clipPath, keeps far-off points from writing huge coordinates.
bool clip_segment(Point& a, Point& b, const Box& box) {
  const double dx = b.x - a.x;
  const double dy = b.y - a.y;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a.x - box.left, box.right - a.x, a.y - box.top, box.bottom - a.y};
  double t0 = 0.0;
  double t1 = 1.0;
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0.0) {
      if (q[i] < 0.0) return false;
      continue;
    }
    const double r = q[i] / p[i];
    if (p[i] < 0.0) {
      if (r > t1) return false;
      t0 = std::max(t0, r);
    } else {
      if (r < t0) return false;
      t1 = std::min(t1, r);
    }
  }
  const Point start{a.x + t0 * dx, a.y + t0 * dy};
  const Point end{a.x + t1 * dx, a.y + t1 * dy};
  a = start;
  b = end;
  return true;
}

// An axis range: explicit bounds as given, the rest from the data (made
// nice). A single value gets a range around it so it sits inside the plot.
struct Range {
  double min = 0.0;
  double max = 1.0;
};

Range padded(double low, double high) {
  if (low == high) {
    const AxisTicks around = nice_ticks(low, high);
    return {around.min, around.max};
  }
  return {low, high};
}

// nice_target: 0 keeps the data's own bounds, otherwise the tick count the
// axis will use, so that the nice ends are ticks of that axis.
Range resolve_range(double data_low, double data_high, std::optional<double> fixed_min, std::optional<double> fixed_max,
                    bool include_zero, int nice_target) {
  const bool has_min = fixed_min && std::isfinite(*fixed_min);
  const bool has_max = fixed_max && std::isfinite(*fixed_max);
  if (has_min && has_max) {
    const Range range = padded(std::min(*fixed_min, *fixed_max), std::max(*fixed_min, *fixed_max));
    return range;
  }
  Range range = padded(data_low, data_high);
  if (include_zero) {
    range.min = std::min(range.min, 0.0);
    range.max = std::max(range.max, 0.0);
  }
  if (has_min) range.min = *fixed_min;
  if (has_max) range.max = *fixed_max;
  if (range.min > range.max) std::swap(range.min, range.max);
  range = padded(range.min, range.max);
  if (nice_target > 0) {
    const AxisTicks ticks = nice_ticks(range.min, range.max, nice_target);
    if (!has_min) range.min = ticks.min;
    if (!has_max) range.max = ticks.max;
  }
  return range;
}

// Ticks inside [range.min, range.max] (explicit bounds need not be nice).
AxisTicks ticks_within(const Range& range, int target) {
  AxisTicks ticks = nice_ticks(range.min, range.max, target);
  const double tolerance = ticks.step * 1e-9;
  std::vector<double> inside;
  for (const double value : ticks.values) {
    if (value >= range.min - tolerance && value <= range.max + tolerance) inside.push_back(value);
  }
  ticks.values = inside;
  return ticks;
}

struct LegendEntry {
  std::string name;
  std::string color;
  bool dashed = false;
  bool markers = false;
  double width = 0.0;
};

constexpr double kLegendSwatch = 18.0;
constexpr double kLegendGap = 14.0;
constexpr double kLegendRowHeight = 16.0;

// Legend entries in rows, right-aligned: the first row beside the title, the
// rest below it. Returns the rows as index lists.
std::vector<std::vector<std::size_t>> legend_rows(const std::vector<LegendEntry>& entries, double first_row_width,
                                                  double full_width) {
  std::vector<std::vector<std::size_t>> rows(1);
  double used = 0.0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const double available = rows.size() == 1 ? first_row_width : full_width;
    const double width = entries[i].width + (rows.back().empty() ? 0.0 : kLegendGap);
    if (!rows.back().empty() && used + width > available) {
      rows.emplace_back();
      used = 0.0;
    } else if (rows.back().empty() && rows.size() == 1 && entries[i].width > first_row_width) {
      // Too wide even for an empty first row (a long title): start below it.
      rows.emplace_back();
    }
    used += rows.back().empty() ? entries[i].width : width;
    rows.back().push_back(i);
  }
  return rows;
}

std::string dash_attribute(bool dashed) { return dashed ? " stroke-dasharray=\"6 4\"" : ""; }

}  // namespace

AxisTicks nice_ticks(double low, double high, int target) {
  if (!std::isfinite(low) || !std::isfinite(high)) return nice_ticks(0.0, 1.0, target);
  target = std::max(target, 1);
  // Beyond 1e300 a step or a padded bound would overflow to infinity.
  low = std::clamp(low, -1e300, 1e300);
  high = std::clamp(high, -1e300, 1e300);
  if (low > high) std::swap(low, high);
  // A span below double resolution of the values counts as one value.
  if (high - low <= std::max(std::abs(low), std::abs(high)) * 1e-12) {
    const double center = (low + high) / 2.0;
    const double pad = std::abs(center) < 1e-200 ? 1.0 : std::abs(center) * 0.1;
    low = center - pad;
    high = center + pad;
  }
  const double raw = (high - low) / target;
  const int exponent = static_cast<int>(std::floor(std::log10(raw)));
  const double normalized = raw / std::pow(10.0, exponent);
  // The nice factor nearest to the raw step (on a log scale).
  double factor = 10.0;
  if (normalized < std::sqrt(2.0)) {
    factor = 1.0;
  } else if (normalized < std::sqrt(5.0)) {
    factor = 2.0;
  } else if (normalized < std::sqrt(12.5)) {
    factor = 2.5;
  } else if (normalized < std::sqrt(50.0)) {
    factor = 5.0;
  }
  // Multiples of factor * 10^exponent, dividing by a power of ten for small
  // steps: 3 * 2 / 10 is 0.6 exactly, 3 * (2 * 0.1) is 0.6000000000000001.
  const double scale = std::pow(10.0, std::abs(exponent));
  const auto at = [&](double k) { return exponent < 0 ? k * factor / scale : k * factor * scale; };
  const double step = at(1.0);
  const double first = std::floor(low / step + 1e-9);
  const double last = std::ceil(high / step - 1e-9);
  AxisTicks ticks;
  ticks.step = step;
  for (double k = first; k <= last + 0.5; k += 1.0) ticks.values.push_back(at(k));
  // Rounding may leave an end a hair inside the data; the data's own value is as nice.
  ticks.values.front() = std::min(ticks.values.front(), low);
  ticks.values.back() = std::max(ticks.values.back(), high);
  ticks.min = ticks.values.front();
  ticks.max = ticks.values.back();
  return ticks;
}

std::string format_tick(double value, double step) {
  if (!std::isfinite(value)) return "n/a";
  if (!std::isfinite(step) || step <= 0.0) return compact(value);
  if (std::abs(value) < step * 1e-6) return "0";  // 1e-17 from summing steps is zero
  const double magnitude = std::abs(value);
  if (magnitude >= 1e15) return drop_negative_zero(printf_double("%.*g", 3, value));
  struct Unit {
    double size;
    const char* suffix;
  };
  static const Unit kUnits[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e4, "k"}};
  for (const Unit& unit : kUnits) {
    if (magnitude < unit.size) continue;
    // "k" starts at 10000 but counts thousands.
    const double size = unit.size == 1e4 ? 1e3 : unit.size;
    const int decimals = decimals_for(step / size);
    return drop_negative_zero(trim_zeros(printf_double("%.*f", decimals, value / size))) + unit.suffix;
  }
  const int decimals = decimals_for(step);
  if (decimals > 4) {
    const int digits = std::clamp(static_cast<int>(std::floor(std::log10(magnitude))) + decimals + 1, 1, 15);
    return drop_negative_zero(printf_double("%.*g", digits, value));
  }
  return drop_negative_zero(printf_double("%.*f", decimals, value));
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;  // &apos; is not HTML 4
      default:
        // Control characters other than tab and line ends are not allowed in XML at all.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out += c;
    }
  }
  return out;
}

std::string palette_color(std::size_t i) { return kPalette[i % kPaletteSize]; }

std::string line_chart_svg(const LineChartSpec& spec) {
  const double width = std::max(spec.width, 200);
  const double height = std::max(spec.height, 120);
  const std::string clip_url = std::string("url(#") + kIdPlaceholder + ")";

  // Colours: a series without one takes the next palette colour that no other
  // series asked for by name.
  std::vector<std::string> explicit_colors;
  for (const Series& series : spec.series) {
    if (!series.color.empty()) explicit_colors.push_back(lowercase(series.color));
  }
  std::vector<std::string> colors;
  std::size_t next_palette = 0;
  for (const Series& series : spec.series) {
    if (!series.color.empty()) {
      colors.push_back(series.color);
      continue;
    }
    std::size_t tries = 0;
    while (tries < kPaletteSize && std::find(explicit_colors.begin(), explicit_colors.end(),
                                             lowercase(palette_color(next_palette))) != explicit_colors.end()) {
      ++next_palette;
      ++tries;
    }
    colors.push_back(palette_color(next_palette++));
  }

  // Data extent.
  bool any_finite = false;
  double x_low = 0.0, x_high = 0.0;
  for (const Series& series : spec.series) {
    for (const Point& point : series.points) {
      if (!std::isfinite(point.x) || !std::isfinite(point.y)) continue;
      x_low = any_finite ? std::min(x_low, point.x) : point.x;
      x_high = any_finite ? std::max(x_high, point.x) : point.x;
      any_finite = true;
    }
  }

  std::string body = svg_open(width, height, spec.title);
  body += chart_title(spec.title);

  if (!any_finite) {
    const Box plot{40.0, spec.title.empty() ? 10.0 : 28.0, width - 12.0, height - 14.0};
    body += rect(plot.left, plot.top, plot.width(), plot.height(),
                 "class=\"plot\" fill=\"none\" stroke=\"#d0d0d0\"");
    body += text_element((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2 + 4, "no data",
                         "class=\"no-data\" text-anchor=\"middle\" font-size=\"12\" fill=\"#777777\"");
    body += "</svg>\n";
    return body;
  }

  // Ranges. x is not made nice: curves fill the width, and lanes line up
  // through explicit x ranges. y fits the points within the x range only.
  const Range x_range = resolve_range(x_low, x_high, spec.x_min, spec.x_max, false, 0);
  bool any_in_x = false;
  double y_low = 0.0, y_high = 0.0;
  for (int pass = 0; pass < 2 && !any_in_x; ++pass) {
    for (const Series& series : spec.series) {
      for (const Point& point : series.points) {
        if (!std::isfinite(point.x) || !std::isfinite(point.y)) continue;
        if (pass == 0 && (point.x < x_range.min || point.x > x_range.max)) continue;
        y_low = any_in_x ? std::min(y_low, point.y) : point.y;
        y_high = any_in_x ? std::max(y_high, point.y) : point.y;
        any_in_x = true;
      }
    }
  }

  // Legend: beside the title, in more rows below it when it does not fit.
  std::vector<LegendEntry> legend;
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const Series& series = spec.series[i];
    if (series.name.empty()) continue;
    legend.push_back({series.name, colors[i], series.dashed, series.markers,
                      kLegendSwatch + 4.0 + text_width(series.name, kCharWidth11)});
  }
  const double title_end = spec.title.empty() ? 8.0 : 8.0 + text_width(spec.title, kCharWidthTitle) + 24.0;
  const auto rows = legend_rows(legend, width - 8.0 - title_end, width - 16.0);
  const bool header = !spec.title.empty() || !legend.empty();
  const double legend_extra = legend.empty() ? 0.0 : static_cast<double>(rows.size() - 1) * kLegendRowHeight;

  // Margins: top for the title and legend, bottom for x tick labels and the
  // x label, left for the y label and the widest y tick label.
  Box plot;
  plot.top = (header ? 24.0 : 8.0) + legend_extra + 6.0;
  plot.bottom = height - (spec.x_label.empty() ? 22.0 : 38.0);
  if (plot.bottom - plot.top < 30.0) plot.bottom = plot.top + 30.0;
  const int y_target = std::clamp(static_cast<int>(plot.height() / 36.0), 2, 6);
  const Range y_range = resolve_range(y_low, y_high, spec.y_min, spec.y_max, spec.include_zero, y_target);
  const AxisTicks y_ticks = ticks_within(y_range, y_target);
  double y_label_width = 0.0;
  for (const double value : y_ticks.values) {
    y_label_width = std::max(y_label_width, text_width(format_tick(value, y_ticks.step), kCharWidth11));
  }
  plot.left = (spec.y_label.empty() ? 8.0 : 24.0) + y_label_width + 8.0;
  plot.right = width - 16.0;

  // x ticks: fewer when their labels would touch.
  AxisTicks x_ticks;
  double x_label_width = 0.0;
  for (int x_target = std::clamp(static_cast<int>(plot.width() / 80.0), 2, 10); x_target >= 1; --x_target) {
    x_ticks = ticks_within(x_range, x_target);
    x_label_width = 0.0;
    for (const double value : x_ticks.values) {
      x_label_width = std::max(x_label_width, text_width(format_tick(value, x_ticks.step), kCharWidth11));
    }
    const double spacing = x_ticks.step / (x_range.max - x_range.min) * plot.width();
    if (spacing >= x_label_width + 10.0) break;
  }
  // Room for half of a tick label at the right edge.
  if (!x_ticks.values.empty() && x_ticks.values.back() >= x_range.max - x_ticks.step * 1e-9) {
    plot.right = std::min(plot.right, width - x_label_width / 2.0 - 4.0);
  }
  if (plot.right - plot.left < 40.0) plot.right = plot.left + 40.0;

  // Fractions far outside the plot are capped so nothing overflows; the
  // segment clipping below cuts them at the plot's edge anyway.
  const auto to_x = [&](double x) {
    const double fraction = std::clamp((x - x_range.min) / (x_range.max - x_range.min), -1e6, 1e6);
    return plot.left + fraction * plot.width();
  };
  const auto to_y = [&](double y) {
    const double fraction = std::clamp((y - y_range.min) / (y_range.max - y_range.min), -1e6, 1e6);
    return plot.bottom - fraction * plot.height();
  };
  // Lines stop exactly at the plot's edge (cut below); the clipPath is a
  // little larger so a line or marker on the edge (a value of exactly the
  // axis maximum, the first and last x) keeps its full stroke and dot.
  const double clip_pad = 4.0;
  const Box clip{plot.left - clip_pad, plot.top - clip_pad, plot.right + clip_pad, plot.bottom + clip_pad};
  const double edge = 1e-6;  // rounding, not data
  const Box inside{plot.left - edge, plot.top - edge, plot.right + edge, plot.bottom + edge};

  std::string defs = "<defs><clipPath id=\"";
  defs += kIdPlaceholder;
  defs += "\">" + rect(clip.left, clip.top, clip.width(), clip.height(), "") + "</clipPath></defs>\n";
  body += defs;

  // Legend.
  if (!legend.empty()) {
    body += "<g class=\"legend\">\n";
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (rows[r].empty()) continue;  // the first row, when a long title leaves no room beside it
      double row_width = 0.0;
      for (const std::size_t i : rows[r]) row_width += legend[i].width;
      row_width += kLegendGap * static_cast<double>(rows[r].size() - 1);
      double x = width - 8.0 - row_width;
      const double y = 17.0 + static_cast<double>(r) * kLegendRowHeight;
      for (const std::size_t i : rows[r]) {
        const LegendEntry& entry = legend[i];
        body += line(x, y - 4.0, x + kLegendSwatch, y - 4.0,
                     "stroke=\"" + xml_escape(entry.color) + "\" stroke-width=\"2.5\"" + dash_attribute(entry.dashed));
        if (entry.markers) {
          body += "<circle cx=\"" + num(x + kLegendSwatch / 2) + "\" cy=\"" + num(y - 4.0) + "\" r=\"2.5\" fill=\"" +
                  xml_escape(entry.color) + "\"/>\n";
        }
        body += text_element(x + kLegendSwatch + 4.0, y, entry.name, "fill=\"#333333\"");
        x += entry.width + kLegendGap;
      }
    }
    body += "</g>\n";
  }

  // Bands under everything else, their labels staggered when they would overlap.
  std::string band_rects;
  std::string band_labels;
  std::vector<double> label_row_ends;
  for (const Band& band : spec.bands) {
    if (!std::isfinite(band.x_begin) || !std::isfinite(band.x_end)) continue;
    const double begin = std::max(std::min(band.x_begin, band.x_end), x_range.min);
    const double end = std::min(std::max(band.x_begin, band.x_end), x_range.max);
    if (begin > end) continue;  // outside the x range
    const double left = to_x(begin);
    const double band_width = std::max(to_x(end) - left, 1.0);
    const std::string color = band.color.empty() ? "#888888" : band.color;
    band_rects += rect(left, plot.top, band_width, plot.height(),
                       "class=\"band\" fill=\"" + xml_escape(color) + "\" fill-opacity=\"0.14\"");
    if (!band.label.empty()) {
      const double label_width = text_width(band.label, kCharWidth10);
      double x = std::max(left, plot.left) + 3.0;
      if (x + label_width > plot.right) x = std::max(plot.left + 3.0, plot.right - 3.0 - label_width);
      std::size_t row = 0;
      while (row < label_row_ends.size() && label_row_ends[row] > x) ++row;
      if (row == label_row_ends.size()) label_row_ends.push_back(0.0);
      label_row_ends[row] = x + label_width + 6.0;
      std::string label = "<text class=\"band-label\" x=\"" + num(x) + "\" y=\"" +
                          num(plot.top + 11.0 + 11.0 * static_cast<double>(row)) +
                          "\" font-size=\"10\" fill=\"#555555\">" + xml_escape(band.label) + "</text>\n";
      band_labels += label;
    }
  }
  if (!band_rects.empty()) body += "<g clip-path=\"" + clip_url + "\">\n" + band_rects + "</g>\n";

  // Frame, grid and y ticks.
  body += rect(plot.left, plot.top, plot.width(), plot.height(), "class=\"plot\" fill=\"none\" stroke=\"#d8d8d8\"");
  for (const double value : y_ticks.values) {
    const double y = to_y(value);
    body += line(plot.left, y, plot.right, y, "class=\"grid\" stroke=\"#e4e4e4\"");
    body += text_element(plot.left - 6.0, y + 4.0, format_tick(value, y_ticks.step),
                         "class=\"tick-label\" text-anchor=\"end\" fill=\"#444444\"");
  }
  // x axis.
  body += line(plot.left, plot.bottom, plot.right, plot.bottom, "class=\"axis\" stroke=\"#888888\"");
  for (const double value : x_ticks.values) {
    const double x = to_x(value);
    body += line(x, plot.bottom, x, plot.bottom + 4.0, "class=\"tick\" stroke=\"#888888\"");
    body += text_element(x, plot.bottom + 15.0, format_tick(value, x_ticks.step),
                         "class=\"tick-label\" text-anchor=\"middle\" fill=\"#444444\"");
  }
  body += band_labels;
  if (!spec.x_label.empty()) {
    body += text_element((plot.left + plot.right) / 2.0, plot.bottom + 31.0, spec.x_label,
                         "class=\"axis-label\" text-anchor=\"middle\" font-size=\"12\" fill=\"#333333\"");
  }
  if (!spec.y_label.empty()) {
    const double x = 14.0;
    const double y = (plot.top + plot.bottom) / 2.0;
    body += "<text class=\"axis-label\" x=\"" + num(x) + "\" y=\"" + num(y) + "\" transform=\"rotate(-90 " + num(x) +
            " " + num(y) + ")\" text-anchor=\"middle\" font-size=\"12\" fill=\"#333333\">" +
            xml_escape(spec.y_label) + "</text>\n";
  }

  // Series: one path each, broken where a point is not finite, cut at the
  // plot's edge; markers where asked, for a single point, and for a point
  // with no finite neighbour (a line through it would have no length).
  body += "<g clip-path=\"" + clip_url + "\">\n";
  for (std::size_t s = 0; s < spec.series.size(); ++s) {
    const Series& series = spec.series[s];
    const std::string color = xml_escape(colors[s]);
    std::size_t finite_count = 0;
    for (const Point& point : series.points) finite_count += std::isfinite(point.x) && std::isfinite(point.y);
    const bool all_markers = series.markers || finite_count == 1;

    std::string d;
    std::vector<Point> marker_points;
    bool have_previous = false;
    Point previous;
    bool pen_down = false;
    Point pen;
    std::size_t run = 0;
    const auto end_run = [&]() {
      if (run == 1 && !all_markers && inside.contains(previous.x, previous.y)) marker_points.push_back(previous);
      run = 0;
    };
    for (const Point& point : series.points) {
      if (!std::isfinite(point.x) || !std::isfinite(point.y)) {
        end_run();
        have_previous = false;
        pen_down = false;
        continue;
      }
      const Point screen{to_x(point.x), to_y(point.y)};
      if (all_markers && inside.contains(screen.x, screen.y)) marker_points.push_back(screen);
      if (have_previous) {
        Point a = previous;
        Point b = screen;
        if (clip_segment(a, b, plot)) {
          if (!pen_down || a.x != pen.x || a.y != pen.y) d += (d.empty() ? "M" : " M") + num(a.x) + " " + num(a.y);
          d += " L" + num(b.x) + " " + num(b.y);
          pen = b;
          pen_down = true;
        } else {
          pen_down = false;
        }
      }
      previous = screen;
      have_previous = true;
      ++run;
    }
    end_run();

    body += "<path class=\"series\" d=\"" + d + "\" fill=\"none\" stroke=\"" + color +
            "\" stroke-width=\"1.8\" stroke-linejoin=\"round\" stroke-linecap=\"round\"" +
            dash_attribute(series.dashed) + ">";
    if (!series.name.empty()) body += "<title>" + xml_escape(series.name) + "</title>";
    body += "</path>\n";
    const double radius = finite_count == 1 ? 3.5 : 2.5;
    for (const Point& point : marker_points) {
      body += "<circle class=\"marker\" cx=\"" + num(point.x) + "\" cy=\"" + num(point.y) + "\" r=\"" + num(radius) +
              "\" fill=\"" + color + "\"/>\n";
    }
  }
  body += "</g>\n</svg>\n";
  return with_unique_ids(body);
}

std::string bar_chart_svg(const BarChartSpec& spec) {
  const double width = std::max(spec.width, 240);
  const double top = spec.title.empty() ? 8.0 : 28.0;

  if (spec.bars.empty()) {
    const double height = top + 48.0;
    std::string svg = svg_open(width, height, spec.title);
    svg += chart_title(spec.title);
    svg += text_element(width / 2.0, top + 24.0, "no data",
                        "class=\"no-data\" text-anchor=\"middle\" font-size=\"12\" fill=\"#777777\"");
    return svg + "</svg>\n";
  }

  const double row_height = 26.0;
  const double bar_height = 18.0;
  const double rows_bottom = top + row_height * static_cast<double>(spec.bars.size());
  const double height = rows_bottom + (spec.value_label.empty() ? 24.0 : 40.0);

  // Columns: labels (as wide as the longest, up to a third of the chart),
  // bars, then the values and annotations.
  double label_column = 0.0;
  double value_column = 0.0;
  double max_value = 0.0;
  for (const Bar& bar : spec.bars) {
    label_column = std::max(label_column, text_width(bar.label, kBarLabelCharWidth) + 16.0);
    const std::string value = bar_value_text(bar.value);
    value_column =
        std::max(value_column, text_width(value, kCharWidth11) + 10.0 +
                                   (bar.annotation.empty() ? 0.0 : 6.0 + text_width(bar.annotation, kCharWidth11)));
    if (std::isfinite(bar.value) && bar.value > 0.0) max_value = std::max(max_value, bar.value);
  }
  label_column = std::clamp(label_column, 40.0, std::max(80.0, width * 0.34));
  value_column = std::min(value_column, width * 0.4);
  const double bar_left = label_column;
  const double bar_area = std::max(width - label_column - value_column - 12.0, 60.0);
  const AxisTicks ticks =
      nice_ticks(0.0, max_value > 0.0 ? max_value : 1.0, std::clamp(static_cast<int>(bar_area / 90.0), 2, 6));
  const double scale = bar_area / ticks.max;
  const std::size_t label_chars = static_cast<std::size_t>(std::max((label_column - 16.0) / kBarLabelCharWidth, 2.0));

  std::string svg = svg_open(width, height, spec.title);
  svg += chart_title(spec.title);
  for (const double value : ticks.values) {
    const double x = bar_left + value * scale;
    svg += line(x, top, x, rows_bottom, "class=\"grid\" stroke=\"#e4e4e4\"");
    svg += text_element(x, rows_bottom + 15.0, format_tick(value, ticks.step),
                        "class=\"tick-label\" text-anchor=\"middle\" fill=\"#444444\"");
  }
  svg += line(bar_left, rows_bottom, bar_left + bar_area, rows_bottom, "class=\"axis\" stroke=\"#888888\"");
  svg += line(bar_left, top, bar_left, rows_bottom, "class=\"axis\" stroke=\"#888888\"");
  if (!spec.value_label.empty()) {
    svg += text_element(bar_left + bar_area / 2.0, rows_bottom + 31.0, spec.value_label,
                        "class=\"axis-label\" text-anchor=\"middle\" font-size=\"12\" fill=\"#333333\"");
  }

  for (std::size_t i = 0; i < spec.bars.size(); ++i) {
    const Bar& bar = spec.bars[i];
    const double row_top = top + row_height * static_cast<double>(i);
    const double baseline = row_top + row_height / 2.0 + 4.0;
    const bool valid = std::isfinite(bar.value) && bar.value >= 0.0;
    const double length = valid ? bar.value * scale : 0.0;
    const std::string color = xml_escape(bar.color.empty() ? palette_color(i) : bar.color);
    const std::string value = bar_value_text(bar.value);
    const std::string tooltip = bar.label + ": " + value + (bar.annotation.empty() ? "" : " " + bar.annotation);

    const std::string shown_label = shorten(bar.label, label_chars);
    svg += "<text class=\"bar-label\" x=\"" + num(label_column - 8.0) + "\" y=\"" + num(baseline) +
           "\" text-anchor=\"end\" font-size=\"12\" fill=\"#222222\">" + xml_escape(shown_label);
    if (shown_label != bar.label) svg += "<title>" + xml_escape(bar.label) + "</title>";
    svg += "</text>\n";

    // A published reference figure, not a measurement: lighter, dashed outline.
    const std::string look = bar.reference ? "class=\"bar reference\" fill=\"" + color +
                                                 "\" fill-opacity=\"0.45\" stroke=\"" + color +
                                                 "\" stroke-width=\"1\" stroke-dasharray=\"4 3\""
                                           : "class=\"bar\" fill=\"" + color + "\"";
    svg += "<rect x=\"" + num(bar_left) + "\" y=\"" + num(row_top + (row_height - bar_height) / 2.0) +
           "\" width=\"" + num(length) + "\" height=\"" + num(bar_height) + "\" " + look + "><title>" +
           xml_escape(tooltip) + "</title></rect>\n";

    svg += "<text class=\"bar-value\" x=\"" + num(bar_left + length + 6.0) + "\" y=\"" + num(baseline) +
           "\" fill=\"#222222\">" + xml_escape(value);
    if (!bar.annotation.empty()) {
      svg += "<tspan class=\"annotation\" dx=\"6\" fill=\"#555555\">" + xml_escape(bar.annotation) + "</tspan>";
    }
    svg += "</text>\n";
  }
  return svg + "</svg>\n";
}

}  // namespace trainbench::report
