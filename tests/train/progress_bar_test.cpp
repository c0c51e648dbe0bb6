// Tests for the tqdm-compatible progress display. Expected strings are what
// tqdm (std.py: format_meter, format_interval, format_num) prints for the
// same inputs; the first three are the lines of the reference run quoted in
// docs WORKLOAD.md.
#include "train/progress_bar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace trainbench::train {
namespace {

MeterState Meter(std::string desc, std::int64_t n, std::int64_t total, double elapsed,
                 std::optional<double> rate = std::nullopt, Postfix postfix = {}) {
  MeterState m;
  m.desc = std::move(desc);
  m.n = n;
  m.total = total;
  m.elapsed_seconds = elapsed;
  m.rate = rate;
  m.postfix = std::move(postfix);
  return m;
}

// ---------------------------------------------------------------- helpers

TEST(FormatInterval, MinutesSecondsAndHours) {
  EXPECT_EQ(format_interval(209), "03:29");
  EXPECT_EQ(format_interval(209.99), "03:29");  // int(t) truncates
  EXPECT_EQ(format_interval(3725), "1:02:05");
  EXPECT_EQ(format_interval(0), "00:00");
  EXPECT_EQ(format_interval(675), "11:15");
  EXPECT_EQ(format_interval(3599), "59:59");
  EXPECT_EQ(format_interval(3600), "1:00:00");
  EXPECT_EQ(format_interval(360000), "100:00:00");
}

TEST(FormatNum, TqdmShortestOfG3AndStr) {
  EXPECT_EQ(format_num(0.000994), "0.000994");  // same length: str() wins
  EXPECT_EQ(format_num(0.0984), "0.0984");
  EXPECT_EQ(format_num(0.37412), "0.374");
  EXPECT_EQ(format_num(1e-5), "1e-5");  // '1e-05' with '-0' -> '-'
  EXPECT_EQ(format_num(0.894), "0.894");
  EXPECT_EQ(format_num(0.08104), "0.081");
  EXPECT_EQ(format_num(100.0), "100");        // str() would be '100.0'
  EXPECT_EQ(format_num(12345.0), "12345.0");  // '1.23e+4' is not shorter
  EXPECT_EQ(format_num(1234567.0), "1.23e+6");
  EXPECT_EQ(format_num(-0.05), "-.05");  // tqdm's replace('-0', '-') quirk
  EXPECT_EQ(format_num(0.0), "0");
  EXPECT_EQ(format_num(2.5e-7), "2.5e-7");
}

TEST(PythonFloatStr, MatchesPythonRepr) {
  EXPECT_EQ(python_float_str(0.1), "0.1");
  EXPECT_EQ(python_float_str(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_str(3.0), "3.0");
  EXPECT_EQ(python_float_str(-0.0), "-0.0");
  EXPECT_EQ(python_float_str(0.0001), "0.0001");
  EXPECT_EQ(python_float_str(1e-5), "1e-05");
  EXPECT_EQ(python_float_str(1.5e-7), "1.5e-07");
  EXPECT_EQ(python_float_str(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_str(1e16), "1e+16");
  EXPECT_EQ(python_float_str(123.456), "123.456");
}

TEST(Postfix, NumbersStringsAndIntegers) {
  EXPECT_EQ(PostfixValue(5).str(), "5");  // Python int: no '.0'
  EXPECT_EQ(PostfixValue(std::size_t{12345}).str(), "12345");
  EXPECT_EQ(PostfixValue(0.5f).str(), "0.5");
  EXPECT_EQ(PostfixValue("").str(), "");
  EXPECT_EQ(PostfixValue(" cuda:0 ").str(), "cuda:0");  // set_postfix strips
  EXPECT_EQ(format_postfix({{"loss", 0.25}, {"lr", ""}, {"step", 7}}), "loss=0.25, lr=, step=7");
  EXPECT_EQ(format_postfix({}), "");
}

// ------------------------------------------------- the reference run's lines

TEST(FormatMeter, ReferenceEpochsLine) {
  MeterState m = Meter("Epochs", 3, 3, 675.4, 1 / 224.96);
  // nobar is 44 characters; the reference terminal left 9 for the bar.
  m.ncols = 53;
  EXPECT_EQ(format_meter(m), "Epochs: 100%|#########| 3/3 [11:15<00:00, 224.96s/it]");
}

TEST(FormatMeter, ReferenceTrainLine) {
  const MeterState m = Meter(
      "Train", 4324, 4324, 209.6, 21.75,
      {{"accuracy", 0.89412}, {"avg_loss", 0.37412}, {"loss", 0.0984}, {"lr", 0.000994}});
  // ncols unset: tqdm's fixed 10-character bar.
  EXPECT_EQ(format_meter(m),
            "Train: 100%|##########| 4324/4324 [03:29<00:00, 21.75it/s, accuracy=0.894, "
            "avg_loss=0.374, loss=0.0984, lr=0.000994]");
}

TEST(FormatMeter, ReferenceEvalLine) {
  const MeterState m =
      Meter("Eval", 481, 481, 17.3, 50.42,
            {{"accuracy", 0.97508}, {"avg_loss", 0.08104}, {"loss", 0.2141}, {"lr", ""}});
  EXPECT_EQ(format_meter(m),
            "Eval: 100%|##########| 481/481 [00:17<00:00, 50.42it/s, accuracy=0.975, "
            "avg_loss=0.081, loss=0.214, lr=]");
}

// ------------------------------------------------------------ other layouts

TEST(FormatMeter, StartOfPassHasUnknownRate) {
  EXPECT_EQ(format_meter(Meter("Train", 0, 4324, 0)),
            "Train:   0%|          | 0/4324 [00:00<?, ?it/s]");
  // n=0 after some time: average rate 0 is still unknown.
  EXPECT_EQ(format_meter(Meter("Epochs", 0, 3, 12)),
            "Epochs:   0%|          | 0/3 [00:12<?, ?it/s]");
}

TEST(FormatMeter, PartialBarCharacters) {
  // 45%: 4 full cells, then digit 5 for the half-filled fifth (ascii=True).
  EXPECT_EQ(format_meter(Meter("Train", 45, 100, 9)),
            "Train:  45%|####5     | 45/100 [00:09<00:11,  5.00it/s]");
  EXPECT_EQ(format_meter(Meter("", 1, 3, 1)), " 33%|###3      | 1/3 [00:01<00:02,  1.00it/s]");
  EXPECT_EQ(format_meter(Meter("x", 99, 100, 99)),
            "x:  99%|#########9| 99/100 [01:39<00:01,  1.00it/s]");
  EXPECT_EQ(format_meter(Meter("x", 1, 1000, 1)),
            "x:   0%|          | 1/1000 [00:01<16:39,  1.00it/s]");
}

TEST(FormatMeter, SlowRateIsInverted) {
  // rate 1/225 it/s reads as 225.00s/it, and the ETA is 2 * 225 s.
  EXPECT_EQ(format_meter(Meter("Epochs", 1, 3, 225)),
            "Epochs:  33%|###3      | 1/3 [03:45<07:30, 225.00s/it]");
  // Exactly 1 it/s is not inverted (tqdm inverts only when 1/rate > 1).
  EXPECT_EQ(format_meter(Meter("E", 2, 4, 2)), "E:  50%|#####     | 2/4 [00:02<00:02,  1.00it/s]");
}

TEST(FormatMeter, UnknownTotal) {
  EXPECT_EQ(format_meter(Meter("Train", 37, 0, 5, 7.4, {{"loss", 0.5}})),
            "Train: 37it [00:05,  7.40it/s, loss=0.5]");
  // n past the total: tqdm stops trusting the total.
  EXPECT_EQ(format_meter(Meter("Train", 5, 3, 2)), "Train: 5it [00:02,  2.50it/s]");
  EXPECT_EQ(format_meter(Meter("", 0, 0, 0)), "0it [00:00, ?it/s]");
}

TEST(FormatMeter, BarFillsNcolsAndIsTrimmed) {
  MeterState m = Meter("Train", 50, 100, 10);
  m.ncols = 60;  // the rest of the line is 45 characters: a 15-cell bar
  const std::string line = format_meter(m);
  EXPECT_EQ(line.size(), 60u);
  EXPECT_EQ(line, "Train:  50%|#######5       | 50/100 [00:10<00:10,  5.00it/s]");

  // Too narrow: tqdm keeps a 1-cell bar and trims the line to ncols.
  m.ncols = 30;
  EXPECT_EQ(format_meter(m), "Train:  50%|5| 50/100 [00:10<0");
  // The board asks for at least 10 cells.
  m.min_bar_width = 10;
  EXPECT_EQ(format_meter(m), "Train:  50%|#####     | 50/100");

  // ncols=0: stats only.
  m.ncols = 0;
  EXPECT_EQ(format_meter(m), "Train:  50% 50/100 [00:10<00:10,  5.00it/s]");
}

// ---------------------------------------------------------------- the board

// A fake clock the test moves by hand.
struct FakeClock {
  double t = 1000;
  ProgressBoard::Clock fn() {
    return [this] { return t; };
  }
};

// Collects everything written to a FILE*.
class Capture {
 public:
  Capture() : f_(open_memstream(&buf_, &len_)) {}
  ~Capture() {
    if (f_) std::fclose(f_);
    std::free(buf_);
  }
  std::FILE* file() { return f_; }
  std::string text() {
    std::fflush(f_);
    return std::string(buf_, len_);
  }

 private:
  char* buf_ = nullptr;
  std::size_t len_ = 0;
  std::FILE* f_;
};

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Replays output through a minimal terminal (CR, LF, cursor up, erase below)
// and returns the rows on screen, so live-mode tests check what a user sees.
std::vector<std::string> Screen(const std::string& s) {
  std::vector<std::string> rows(1);
  std::size_t row = 0, col = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\r') {
      col = 0;
    } else if (c == '\n') {
      ++row;
      col = 0;
      if (row == rows.size()) rows.emplace_back();
    } else if (c == '\x1b') {
      EXPECT_EQ(s[i + 1], '[');
      std::size_t j = i + 2;
      int count = 0;
      while (std::isdigit(static_cast<unsigned char>(s[j]))) count = count * 10 + (s[j++] - '0');
      if (s[j] == 'A') {
        row -= std::min<std::size_t>(row, count ? count : 1);
      } else if (s[j] == 'J') {
        rows[row].resize(col);
        rows.resize(row + 1);
      } else {
        ADD_FAILURE() << "unexpected escape " << s[j];
      }
      i = j;
    } else {
      if (rows[row].size() <= col) rows[row].resize(col + 1, ' ');
      rows[row][col++] = c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// Two epochs of 4 Train and 2 Eval batches, 0.25 s each (exact in binary, so
// the smoothed rates come out exact too).
void RunTwoEpochs(ProgressBoard& board, FakeClock& clock) {
  board.begin_outer("Epochs", 2);
  for (int epoch = 0; epoch < 2; ++epoch) {
    board.begin_pass("Train", 4);
    for (int i = 1; i <= 4; ++i) {
      clock.t += 0.25;
      board.update_pass(i, {{"accuracy", 0.5 + 0.1 * i}, {"loss", 1.0 / i}, {"lr", 0.001}});
    }
    board.end_pass();
    board.begin_pass("Eval", 2);
    for (int i = 1; i <= 2; ++i) {
      clock.t += 0.25;
      board.update_pass(i, {{"accuracy", 0.75}, {"loss", 0.25}, {"lr", ""}});
    }
    board.end_pass();
    board.advance_outer();
  }
  board.end_outer();
}

const char* const kTrainDone =
    "Train: 100%|##########| 4/4 [00:01<00:00,  4.00it/s, accuracy=0.9, loss=0.25, lr=0.001]";
const char* const kEvalDone =
    "Eval: 100%|##########| 2/2 [00:00<00:00,  4.00it/s, accuracy=0.75, loss=0.25, lr=]";

TEST(ProgressBoard, PlainModePrintsOneLinePerPassAndEpoch) {
  Capture cap;
  FakeClock clock;
  {
    ProgressBoard board(cap.file(), /*live=*/false, clock.fn());
    RunTwoEpochs(board, clock);
  }
  const std::string out = cap.text();
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.find('\r'), std::string::npos);
  const std::vector<std::string> expected = {
      kTrainDone,
      kEvalDone,
      "Epochs:  50%|#####     | 1/2 [00:01<00:01,  1.50s/it]",
      kTrainDone,
      kEvalDone,
      "Epochs: 100%|##########| 2/2 [00:03<00:00,  1.50s/it]",
  };
  EXPECT_EQ(Lines(out), expected);
}

TEST(ProgressBoard, PlainModeMessageAndInterruptedPass) {
  Capture cap;
  FakeClock clock;
  {
    ProgressBoard board(cap.file(), false, clock.fn());
    board.begin_outer("Epochs", 3);
    board.begin_pass("Train", 10);
    clock.t += 2;
    board.update_pass(3, {{"loss", 0.5}});
    board.message("warning: something");
    // The board goes away mid-pass (e.g. Ctrl-C): the partial pass is logged.
  }
  const std::vector<std::string> expected = {
      "warning: something",
      "Train:  30%|###       | 3/10 [00:02<00:04,  1.50it/s, loss=0.5]",
  };
  EXPECT_EQ(Lines(cap.text()), expected);
}

TEST(ProgressBoard, LiveModeLeavesFinishedPassesAboveEpochs) {
  Capture cap;
  FakeClock clock;
  {
    ProgressBoard board(cap.file(), /*live=*/true, clock.fn());
    board.set_width(70);
    RunTwoEpochs(board, clock);
  }
  const std::string out = cap.text();
  EXPECT_NE(out.find("\x1b[1A"), std::string::npos);  // redrawn in place
  const std::vector<std::string> expected = {
      kTrainDone, kEvalDone, kTrainDone, kEvalDone,
      "Epochs: 100%|##########| 2/2 [00:03<00:00,  1.50s/it]",
  };
  EXPECT_EQ(Screen(out), expected);
}

TEST(ProgressBoard, LiveAreaFitsWidthWithPassAboveEpochs) {
  Capture cap;
  FakeClock clock;
  ProgressBoard board(cap.file(), true, clock.fn());
  board.set_width(50);  // Train gets the 10-cell minimum and is trimmed
  board.begin_outer("Epochs", 3);
  board.begin_pass("Train", 100);
  clock.t += 10;
  board.update_pass(50, {{"loss", 0.123456}});
  const std::vector<std::string> expected = {
      "Train:  50%|#####     | 50/100 [00:10<00:10,  5.00",
      "Epochs:   0%|               | 0/3 [00:10<?, ?it/s]",
  };
  EXPECT_EQ(Screen(cap.text()), expected);

  // A message goes above the live area, which is redrawn below it.
  board.message("note: checkpoint saved");
  const std::vector<std::string> with_message = {
      "note: checkpoint saved",
      "Train:  50%|#####     | 50/100 [00:10<00:10,  5.00",
      "Epochs:   0%|               | 0/3 [00:10<?, ?it/s]",
  };
  EXPECT_EQ(Screen(cap.text()), with_message);
}

TEST(ProgressBoard, LiveRedrawsAreThrottled) {
  Capture cap;
  FakeClock clock;
  ProgressBoard board(cap.file(), true, clock.fn());
  board.set_width(80);
  board.begin_pass("Train", 1000);
  const std::size_t after_begin = cap.text().size();
  // 100 updates within 50 ms: none is drawn (the last draw was at begin).
  for (int i = 1; i <= 100; ++i) {
    clock.t += 0.0005;
    board.update_pass(i);
  }
  EXPECT_EQ(cap.text().size(), after_begin);
  // Past 0.1 s the next update draws.
  clock.t += 0.06;
  board.update_pass(101);
  EXPECT_GT(cap.text().size(), after_begin);
  // The final state is always drawn, however soon it follows.
  board.update_pass(1000);
  board.end_pass();
  EXPECT_EQ(Screen(cap.text()).back().substr(0, 36), "Train: 100%|##########| 1000/1000 [0");
}

TEST(ProgressBoard, SmoothedRateFollowsRecentSpeed) {
  Capture cap;
  FakeClock clock;
  ProgressBoard board(cap.file(), false, clock.fn());
  board.begin_pass("Train", 20);
  // A slow first batch (warm-up) then fast ones at 8 it/s: tqdm's EMA has
  // all but forgotten the warm-up (weight 0.3 * 0.7^19), the plain average
  // would not.
  clock.t += 8;
  board.update_pass(1);
  for (int i = 2; i <= 20; ++i) {
    clock.t += 0.125;
    board.update_pass(i);
  }
  board.end_pass();
  const std::string line = Lines(cap.text()).at(0);
  // Average would be 20 / 10.375 = 1.93it/s.
  EXPECT_EQ(line, "Train: 100%|##########| 20/20 [00:10<00:00,  7.83it/s]") << line;
}

TEST(ProgressBoard, MemstreamIsNotATerminal) {
  Capture cap;
  EXPECT_FALSE(ProgressBoard::is_terminal(cap.file()));
  EXPECT_FALSE(ProgressBoard::is_terminal(nullptr));
}

}  // namespace
}  // namespace trainbench::train
