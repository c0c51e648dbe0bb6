#include "train/progress_bar.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdlib>
#include <system_error>

#include "core/clock.h"

namespace trainbench::train {
namespace {

// printf into a std::string, sized exactly (a '%5.2f' of a huge rate can be
// hundreds of characters long).
__attribute__((format(printf, 1, 2))) std::string strprintf(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  const int len = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out;
  if (len > 0) {
    out.resize(static_cast<std::size_t>(len) + 1);
    std::vsnprintf(out.data(), out.size(), fmt, args);
    out.resize(static_cast<std::size_t>(len));
  }
  va_end(args);
  return out;
}

// Python's str.replace(old, new): every non-overlapping occurrence, left to right.
std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

// Python's str.strip() for ASCII whitespace.
std::string strip(const std::string& s) {
  const char* ws = " \t\n\r\v\f";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// tqdm's disp_len/disp_trim count display cells; we count UTF-8 code points
// (a description with non-ASCII letters still measures right; East Asian
// double-width characters are not handled, and none are ever printed).
bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

int display_length(const std::string& s) {
  int n = 0;
  for (char c : s) n += is_continuation(c) ? 0 : 1;
  return n;
}

std::string display_trim(const std::string& s, int width) {
  int n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_continuation(s[i])) {
      if (n == width) return s.substr(0, i);
      ++n;
    }
  }
  return s;
}

// '{0:.3g}'.format(n).replace('+0', '+').replace('-0', '-'): the first half
// of tqdm.format_num. C's %g follows the same rules as Python's 'g' (fixed
// for exponents -4..2, trailing zeros removed, two-digit exponents).
std::string short_g(double n) {
  if (std::isnan(n)) return "nan";  // glibc may print "-nan"; Python never does
  std::string f = strprintf("%.3g", n);
  f = replace_all(f, "+0", "+");
  return replace_all(f, "-0", "-");
}

// tqdm.format_num for Python ints: str(5) has no ".0".
std::string format_num_int(std::int64_t n) {
  const std::string f = short_g(static_cast<double>(n));
  const std::string s = std::to_string(n);
  return f.size() < s.size() ? f : s;
}

// The ascii Bar of tqdm: charset " 123456789#", so each cell has 10 steps.
std::string ascii_bar(double frac, int width) {
  static const char kCharset[] = " 123456789#";
  const int nsyms = 10;
  frac = std::max(0.0, std::min(1.0, frac));  // tqdm clamps (with a warning)
  // Same evaluation order as Python's int(self.frac * N_BARS * nsyms), so
  // the rounding matches bit for bit.
  const auto steps = static_cast<long long>(frac * width * nsyms);
  const auto full = static_cast<int>(steps / nsyms);
  const auto part = static_cast<int>(steps % nsyms);
  std::string res(static_cast<std::size_t>(full), kCharset[nsyms]);
  if (full < width) {
    res += kCharset[part];
    res.append(static_cast<std::size_t>(width - full - 1), kCharset[0]);
  }
  return res;
}

}  // namespace

std::string PostfixValue::str() const {
  if (const auto* d = std::get_if<double>(&value)) return format_num(*d);
  if (const auto* i = std::get_if<std::int64_t>(&value)) return format_num_int(*i);
  return strip(std::get<std::string>(value));
}

std::string python_float_str(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
  // Shortest round-trip digits, as Python's repr uses (dtoa mode 0);
  // scientific form makes the digits and exponent easy to pick apart.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // e.g. "-9.94e-04", "0e+00"
  std::string out;
  std::size_t i = 0;
  if (sci[0] == '-') {
    out = "-";
    i = 1;
  }
  const std::size_t epos = sci.find('e');
  std::string digits;
  for (std::size_t k = i; k < epos; ++k)
    if (sci[k] != '.') digits += sci[k];
  const int exp = std::atoi(sci.c_str() + epos + 1);
  // CPython's format_float_short, 'r' mode: decpt is where the decimal
  // point goes in `digits`; exponent form if decpt <= -4 or decpt > 16.
  const int decpt = exp + 1;
  const int nd = static_cast<int>(digits.size());
  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (nd > 1) out += "." + digits.substr(1);
    out += strprintf("e%+.02d", exp);
  } else if (decpt <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  } else if (decpt < nd) {
    out += digits.substr(0, static_cast<std::size_t>(decpt)) + "." +
           digits.substr(static_cast<std::size_t>(decpt));
  } else {
    out += digits + std::string(static_cast<std::size_t>(decpt - nd), '0') + ".0";
  }
  return out;
}

std::string format_num(double n) {
  // tqdm: return f if len(f) < len(str(n)) else str(n)
  const std::string f = short_g(n);
  const std::string s = python_float_str(n);
  return f.size() < s.size() ? f : s;
}

std::string format_interval(double seconds) {
  if (!std::isfinite(seconds)) return "?";  // Python's int() would raise
  // tqdm truncates with int(t). Negative times only come from clock
  // trouble and are shown as 00:00 rather than Python's "-1:59:55".
  // The clamp keeps the integer conversion defined for absurd ETAs.
  const double clamped = std::min(std::max(seconds, 0.0), 1e15);
  const auto t = static_cast<long long>(clamped);
  const long long s = t % 60, mins = t / 60;
  const long long m = mins % 60, h = mins / 60;
  if (h) return strprintf("%lld:%02lld:%02lld", h, m, s);
  return strprintf("%02lld:%02lld", m, s);
}

std::string format_postfix(const Postfix& postfix) {
  std::string out;
  for (const auto& [key, value] : postfix) {
    if (!out.empty()) out += ", ";
    out += key + "=" + value.str();
  }
  return out;
}

std::string format_meter(const MeterState& st) {
  const std::int64_t n = st.n;
  // tqdm: `if total and n >= total + 0.5: total = None` (overshoot means the
  // total was wrong, so stop predicting); total=0 is falsy, i.e. unknown.
  const bool has_total = st.total > 0 && n <= st.total;
  // -1 stands for tqdm's ncols=None (also used for a meaningless negative).
  const int ncols = st.ncols && *st.ncols >= 0 ? *st.ncols : -1;

  const std::string elapsed_str = format_interval(st.elapsed_seconds);

  // Rate: given (the board's EMA) or the plain average; 0 or unknown is "?".
  std::optional<double> rate = st.rate;
  if (!rate && st.elapsed_seconds != 0) rate = static_cast<double>(n) / st.elapsed_seconds;
  const bool have_rate = rate && *rate != 0;
  const double inv_rate = have_rate ? 1.0 / *rate : 0.0;
  const std::string rate_noinv_fmt =
      (have_rate ? strprintf("%5.2f", *rate) : std::string("?")) + st.unit + "/s";
  const std::string rate_inv_fmt =
      (inv_rate != 0 ? strprintf("%5.2f", inv_rate) : std::string("?")) + "s/" + st.unit;
  // Slower than one item per second reads better inverted: "224.96s/it".
  const std::string& rate_fmt = inv_rate > 1 ? rate_inv_fmt : rate_noinv_fmt;

  const std::string n_fmt = std::to_string(n);
  const std::string total_fmt = std::to_string(st.total);
  std::string postfix = format_postfix(st.postfix);
  if (!postfix.empty()) postfix = ", " + postfix;

  if (!has_total) {
    // No total: no bar, no percentage, no ETA ("Train: 37it [00:05,  7.23it/s]").
    return (st.desc.empty() ? "" : st.desc + ": ") + n_fmt + st.unit + " [" + elapsed_str +
           ", " + rate_fmt + postfix + "]";
  }

  const double remaining = have_rate ? static_cast<double>(st.total - n) / *rate : 0.0;
  const std::string remaining_str = have_rate ? format_interval(remaining) : "?";

  std::string l_bar;
  if (!st.desc.empty()) {
    // tqdm's "old prefix setup work around": a desc already ending in ": " is kept.
    const bool has_colon =
        st.desc.size() >= 2 && st.desc.compare(st.desc.size() - 2, 2, ": ") == 0;
    l_bar = has_colon ? st.desc : st.desc + ": ";
  }
  const std::string r_bar = "| " + n_fmt + "/" + total_fmt + " [" + elapsed_str + "<" +
                            remaining_str + ", " + rate_fmt + postfix + "]";

  const double frac = static_cast<double>(n) / static_cast<double>(st.total);
  l_bar += strprintf("%3.0f%%|", frac * 100);  // '{0:3.0f}%|'

  if (ncols == 0) {
    // ncols=0: stats only, the two '|' dropped.
    return l_bar.substr(0, l_bar.size() - 1) + r_bar.substr(1);
  }

  // The bar takes whatever the rest of the line leaves of ncols.
  const int min_bar = std::max(1, st.min_bar_width);
  const int width = ncols > 0 ? std::max(min_bar, ncols - display_length(l_bar + r_bar)) : 10;
  const std::string res = l_bar + ascii_bar(frac, width) + r_bar;
  return ncols > 0 ? display_trim(res, ncols) : res;
}

// ---------------------------------------------------------------------------
// ProgressBoard

namespace {
// Cursor to column 0, up `rows - 1` rows, erase to the end of the screen: the
// cursor ends at the top-left of what was the live area.
std::string clear_sequence(int rows) {
  if (rows <= 0) return "";
  std::string s = "\r";
  if (rows > 1) s += "\x1b[" + std::to_string(rows - 1) + "A";
  return s + "\x1b[J";
}
}  // namespace

ProgressBoard::ProgressBoard(std::FILE* out, bool live, Clock clock)
    : out_(out), live_(live), clock_(std::move(clock)) {
  if (!clock_) clock_ = core::steady_seconds;
}

ProgressBoard::~ProgressBoard() {
  // Close open bars the way the trainer would have; their last state is the
  // most useful thing to leave on screen (or in the log) after an abort.
  try {
    if (outer_.active) {
      end_outer();
    } else if (pass_.active) {
      end_pass();
    }
  } catch (...) {
    // Nothing sensible to do while unwinding.
  }
}

bool ProgressBoard::is_terminal(std::FILE* out) {
  return out != nullptr && ::isatty(::fileno(out)) == 1;
}

double ProgressBoard::now() const { return clock_(); }

int ProgressBoard::terminal_width() const {
  if (width_override_ > 0) return width_override_;
  int cols = 0;
  winsize ws{};
  if (out_ && ::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    cols = ws.ws_col;
  } else if (const char* env = std::getenv("COLUMNS")) {
    cols = std::atoi(env) - 1;  // tqdm's fallback keeps a spare column too
  }
  if (cols <= 0) cols = 80;  // shutil.get_terminal_size's default
  // One column short of the edge: a line filling the last column leaves some
  // terminals in a pending-wrap state that breaks the cursor-up arithmetic.
  return std::max(cols - 1, 20);
}

bool ProgressBoard::sample(Bar& bar, double t) {
  const double dt = t - bar.last_sample_t;
  if (dt < min_interval_) return false;
  const auto dn = static_cast<double>(bar.n - bar.last_sample_n);
  // tqdm.update: `if self.smoothing and dt and dn:` feed both EMAs.
  if (dt > 0 && dn != 0) {
    const double alpha = 0.3, beta = 1 - alpha;
    bar.ema_dn = alpha * dn + beta * bar.ema_dn;
    bar.ema_dt = alpha * dt + beta * bar.ema_dt;
    ++bar.ema_calls;
  }
  bar.last_sample_n = bar.n;
  bar.last_sample_t = t;
  return true;
}

MeterState ProgressBoard::meter(const Bar& bar, double t) const {
  MeterState m;
  m.desc = bar.desc;
  m.n = bar.n;
  m.total = bar.total;
  m.elapsed_seconds = t - bar.start_t;
  m.postfix = bar.postfix;
  if (bar.ema_calls > 0) {
    // tqdm's EMA.__call__ divides by (1 - beta**calls) to undo the bias of
    // starting from 0; the factor cancels in dn/dt but is kept for clarity.
    const double corr = 1 - std::pow(0.7, bar.ema_calls);
    const double dn = bar.ema_dn / corr, dt = bar.ema_dt / corr;
    if (dt != 0) m.rate = dn / dt;
  }
  return m;
}

std::string ProgressBoard::live_line(const Bar& bar, double t, int width) const {
  MeterState m = meter(bar, t);
  m.ncols = width;
  m.min_bar_width = 10;
  // format_meter trims bars to ncols; the no-total layout is not trimmed by
  // tqdm, but a live line must never wrap.
  return display_trim(format_meter(m), width);
}

std::string ProgressBoard::final_line(const Bar& bar, double t) const {
  MeterState m = meter(bar, t);
  m.ncols.reset();  // tqdm's ncols=None: fixed 10-character bar, full postfix
  return format_meter(m);
}

void ProgressBoard::write(const std::string& s) {
  if (!out_ || s.empty()) return;
  std::fwrite(s.data(), 1, s.size(), out_);
  std::fflush(out_);
}

std::string ProgressBoard::render(double t) {
  const int width = terminal_width();
  std::string frame;
  int rows = 0;
  for (const Bar* bar : {&pass_, &outer_}) {  // the Epochs bar stays last
    if (!bar->active) continue;
    if (rows++ > 0) frame += "\n";
    frame += live_line(*bar, t, width);
  }
  live_rows_ = rows;
  last_draw_t_ = t;
  return frame;
}

void ProgressBoard::redraw(double t) {
  if (!live_) return;
  // One write per frame, so the terminal never shows a half-drawn area.
  std::string frame = clear_sequence(live_rows_);
  live_rows_ = 0;
  write(frame + render(t));
}

void ProgressBoard::print_above(const std::string& text) {
  if (!live_) {
    write(text);
    return;
  }
  // Erase the live area, print the text where it was, draw the area below.
  std::string frame = clear_sequence(live_rows_) + text;
  live_rows_ = 0;
  write(frame + render(now()));
}

void ProgressBoard::begin_outer(std::string desc, std::int64_t total) {
  if (outer_.active) end_outer();
  const double t = now();
  outer_ = Bar{};
  outer_.active = true;
  outer_.desc = std::move(desc);
  outer_.total = total;
  outer_.start_t = outer_.last_sample_t = t;
  redraw(t);
}

void ProgressBoard::advance_outer(std::int64_t k) {
  if (!outer_.active) return;
  const double t = now();
  outer_.n += k;
  sample(outer_, t);
  if (live_) {
    redraw(t);
  } else {
    write(final_line(outer_, t) + "\n");  // one line per finished epoch
  }
}

void ProgressBoard::end_outer() {
  if (pass_.active) end_pass();
  if (!outer_.active) return;
  const double t = now();
  if (live_) {
    const std::string line = final_line(outer_, t);
    outer_.active = false;
    print_above(line + "\n");
  } else {
    // advance_outer already printed a line per epoch; repeating the last one
    // would only duplicate it in the log.
    outer_.active = false;
  }
}

void ProgressBoard::begin_pass(std::string desc, std::int64_t total) {
  if (pass_.active) end_pass();
  const double t = now();
  pass_ = Bar{};
  pass_.active = true;
  pass_.desc = std::move(desc);
  pass_.total = total;
  pass_.start_t = pass_.last_sample_t = t;
  redraw(t);  // tqdm shows "0%| | 0/N [00:00<?, ?it/s]" at once
}

void ProgressBoard::set_pass_total(std::int64_t total) {
  if (!pass_.active) return;
  pass_.total = total;
  if (live_) redraw(now());
}

void ProgressBoard::update_pass(std::int64_t n) {
  if (!pass_.active) return;
  const double t = now();
  pass_.n = n;
  sample(pass_, t);
  if (live_ && t - last_draw_t_ >= min_interval_) redraw(t);
}

void ProgressBoard::update_pass(std::int64_t n, Postfix postfix) {
  if (!pass_.active) return;
  pass_.postfix = std::move(postfix);
  update_pass(n);
}

void ProgressBoard::end_pass() {
  if (!pass_.active) return;
  // Like tqdm.close(): no new rate sample, just the final state.
  const std::string line = final_line(pass_, now());
  pass_.active = false;
  print_above(line + "\n");
}

void ProgressBoard::message(const std::string& line) {
  std::string text = line;
  if (text.empty() || text.back() != '\n') text += '\n';
  print_above(text);
}

}  // namespace trainbench::train
