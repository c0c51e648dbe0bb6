#pragma once
// tqdm-compatible progress display for the trainer (pure C++17, no LibTorch).
//
// The reference run we compare against was a Python script using tqdm with
// ascii bars; users read our output side by side with its logs, so the lines
// are formatted by a port of tqdm's `format_meter` (tqdm/std.py) and look
// exactly like these (docs WORKLOAD.md, "What it showed while it ran"):
//
//   Epochs: 100%|#########| 3/3 [11:15<00:00, 224.96s/it]
//   Train: 100%|##########| 4324/4324 [03:29<00:00, 21.75it/s, accuracy=0.894, ...]
//
// Two layers:
//   * format_meter() and its helpers: pure functions, no I/O, fully testable.
//   * ProgressBoard: owns the output stream and shows an outer "Epochs" bar
//     plus the bar of the current Train/Eval pass, redrawn in place on a
//     terminal, or one plain line per finished pass/epoch otherwise.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace trainbench::train {

// One postfix value: a number (printed with tqdm's format_num) or a string
// (printed as-is after stripping surrounding whitespace, as tqdm's
// set_postfix does, so lr="" prints "lr=").
//
// A small wrapper rather than a bare std::variant<double, std::string>:
// since P0608 a variant refuses to be built from an `int`/`size_t`
// (narrowing), and Python prints ints without a ".0" (str(5) is "5"),
// so integers keep their own alternative.
struct PostfixValue {
  std::variant<double, std::int64_t, std::string> value;

  PostfixValue(double v) : value(v) {}  // NOLINT: implicit by design
  PostfixValue(float v) : value(static_cast<double>(v)) {}  // NOLINT
  template <typename I,
            std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  PostfixValue(I v) : value(static_cast<std::int64_t>(v)) {}  // NOLINT
  PostfixValue(std::string s) : value(std::move(s)) {}  // NOLINT
  PostfixValue(const char* s) : value(std::string(s ? s : "")) {}  // NOLINT

  // The text tqdm would show after "key=".
  std::string str() const;
};

// Ordered like tqdm's OrderedDict. Note tqdm sorts **kwargs keys
// alphabetically (set_postfix(loss=..., accuracy=...) prints accuracy
// first); we print in the order given, so pass keys alphabetically to
// reproduce the reference lines.
using Postfix = std::vector<std::pair<std::string, PostfixValue>>;

// Inputs of one formatted line; mirrors tqdm.format_meter's arguments
// (ascii=True, unit_scale=False, bar_format=None, initial=0).
struct MeterState {
  std::string desc;            // tqdm "prefix"; "" prints no "desc: "
  std::int64_t n = 0;          // items done
  std::int64_t total = 0;      // <= 0: unknown (tqdm treats total=0 like None)
  double elapsed_seconds = 0;  // since the bar started
  // Items per second. nullopt: n / elapsed, as tqdm does when rate=None.
  // The board passes tqdm's smoothed (EMA) rate once it has one.
  std::optional<double> rate;
  Postfix postfix;
  std::string unit = "it";
  // Width of the whole line, like tqdm's ncols:
  //   nullopt -> a fixed 10-character bar, no trimming (tqdm ncols=None);
  //   0       -> no bar at all ("Train: 100% 4324/4324 [...]");
  //   > 0     -> the bar gets what is left of ncols, then the line is
  //              trimmed to ncols (tqdm's disp_trim).
  std::optional<int> ncols;
  // Smallest bar when it is sized from ncols. tqdm uses max(1, ...); the
  // board asks for 10 so a narrow terminal still shows a usable bar (the
  // line is then trimmed at the right edge instead).
  int min_bar_width = 1;
};

// tqdm.format_meter with ascii bars.
std::string format_meter(const MeterState& state);

// tqdm.format_interval: whole seconds (truncated) as "MM:SS", or "H:MM:SS"
// from one hour on. Negative or non-finite input prints "00:00" / "?".
std::string format_interval(double seconds);

// tqdm.format_num: '{:.3g}' with "+0"/"-0" shortened to "+"/"-" (so 1e-05
// becomes 1e-5), or Python's str(n) when that is not longer.
std::string format_num(double n);

// Python's str()/repr() of a float (shortest round-trip digits, exponent
// form below 1e-4 or from 1e16 on, "1.0" for integral values).
std::string python_float_str(double x);

// tqdm's set_postfix joining: "k1=v1, k2=v2".
std::string format_postfix(const Postfix& postfix);

// Shows the outer "Epochs" bar and the current pass bar.
//
// Live mode (a terminal): the pass bar sits above the Epochs bar at the
// bottom of the screen and both are redrawn in place with ANSI sequences
// (CR, cursor up, erase below), at most every `min_interval` seconds
// (tqdm's mininterval=0.1) and always for a final state. Live lines are
// sized to the terminal width (TIOCGWINSZ on the stream's fd, re-read at
// every redraw so resizes are followed; else $COLUMNS-1 like tqdm; else 80)
// minus one column, and trimmed to it, so each bar is exactly one screen
// row and the cursor-up count stays right.
//
// When a pass ends, its final line is printed above the live area and stays
// in the scrollback; when the outer bar ends, its final line is printed
// last. Those permanent lines use tqdm's ncols=None layout (10-character
// bar, nothing trimmed) so the full postfix is kept whatever the terminal
// width, and they are byte-identical to the plain-mode lines.
//
// Plain mode (not a terminal, or --no-progress): no redraws and no escape
// sequences; exactly one line per finished pass (end_pass) and one per
// finished epoch (advance_outer), each the final tqdm line as above, e.g.
//
//   Train: 100%|##########| 4324/4324 [03:29<00:00, 21.75it/s, accuracy=0.894, ...]
//   Eval: 100%|##########| 481/481 [00:17<00:00, 50.42it/s, accuracy=0.975, ...]
//   Epochs:  33%|###3      | 1/3 [03:47<07:34, 227.00s/it]
//
// so logs match the reference logs and `grep '^Train: '` lists every pass.
//
// Rates follow tqdm: an exponential moving average (smoothing 0.3) of
// items/second, sampled at most every min_interval seconds; before the
// first sample the average n/elapsed is shown.
//
// Thread-safety: none. Call from one thread only (the trainer's loop).
// Anything else written to the same terminal while bars are live corrupts
// them; route such lines through message().
class ProgressBoard {
 public:
  // Seconds on a monotonic clock; injectable for tests.
  using Clock = std::function<double()>;

  // `out` is not owned and must outlive the board; null writes nothing (the
  // silent ranks of a data-parallel job). `live` selects in-place redraws;
  // pass is_terminal(out) && !no_progress. Empty clock: steady_clock.
  ProgressBoard(std::FILE* out, bool live, Clock clock = {});
  // Leaves whatever is live on screen as it stands and moves to a new line,
  // so an interrupted run keeps its last state visible.
  ~ProgressBoard();
  ProgressBoard(const ProgressBoard&) = delete;
  ProgressBoard& operator=(const ProgressBoard&) = delete;

  // isatty() on the stream's fd. (Callers may also want to treat
  // TERM=dumb as not live.)
  static bool is_terminal(std::FILE* out);

  // Outer bar (e.g. "Epochs", total = number of epochs). Starting a new one
  // ends the previous one.
  void begin_outer(std::string desc, std::int64_t total);
  // One more epoch done: redraws (live) or prints the Epochs line (plain).
  void advance_outer(std::int64_t k = 1);
  // Prints the final outer line; ends a pass still open first.
  void end_outer();

  // Pass bar (e.g. "Train"/"Eval", total = batches; <= 0 if unknown).
  // Starting a new one ends the previous one.
  void begin_pass(std::string desc, std::int64_t total);
  // `n` is the absolute number of items done so far (not an increment).
  // The first overload keeps the previous postfix, like tqdm.
  void update_pass(std::int64_t n);
  void update_pass(std::int64_t n, Postfix postfix);
  // Prints the final pass line (state as of the last update_pass).
  void end_pass();
  // The pass's total changed once it was known better (a bench whose timed
  // steps follow from the warm-up's step time), as tqdm's `bar.total = n`.
  void set_pass_total(std::int64_t total);

  // Prints a line (a trailing '\n' is added if missing) without corrupting
  // live bars: clears them, prints, redraws.
  void message(const std::string& line);

  // Fixes the width of live lines instead of asking the terminal (tests, or
  // a user option); used as given, without the spare column. <= 0 goes back
  // to asking.
  void set_width(int columns) { width_override_ = columns; }
  // tqdm's mininterval: least seconds between redraws and rate samples.
  void set_min_interval(double seconds) { min_interval_ = seconds; }

  bool live() const { return live_; }

 private:
  struct Bar {
    bool active = false;
    std::string desc;
    std::int64_t n = 0;
    std::int64_t total = 0;
    Postfix postfix;
    double start_t = 0;
    // tqdm's EMA of dn and dt between samples (bias-corrected by calls).
    double ema_dn = 0, ema_dt = 0;
    int ema_calls = 0;
    std::int64_t last_sample_n = 0;
    double last_sample_t = 0;
  };

  double now() const;
  // Takes an EMA sample if min_interval has passed; returns whether it did.
  bool sample(Bar& bar, double t);
  MeterState meter(const Bar& bar, double t) const;
  std::string live_line(const Bar& bar, double t, int width) const;
  std::string final_line(const Bar& bar, double t) const;
  int terminal_width() const;

  // Live-area text for a cursor at the top-left of an empty area; records
  // how many rows it takes.
  std::string render(double t);
  void redraw(double t);  // live only: repaint the live area in place
  // Writes `text` (whole lines) above the live area, which is redrawn under
  // it; in plain mode just writes it.
  void print_above(const std::string& text);
  void write(const std::string& s);

  std::FILE* out_;
  bool live_;
  Clock clock_;
  double min_interval_ = 0.1;
  int width_override_ = 0;
  Bar outer_, pass_;
  int live_rows_ = 0;         // rows of the live area now on screen
  double last_draw_t_ = -1e300;
};

}  // namespace trainbench::train
