// `train` with telemetry, then `report` of the run in HTML and Markdown, and
// the HTML rendered in a real browser (headless Chromium).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::read_json;
using testing::read_text_file;
using testing::TempDir;
using testing::trainbench_command;

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

// Two classes of flat colours with noise, PNG: enough for a few steps.
void make_flat_colour_set(const fs::path& root) {
  std::mt19937 rng(11);
  for (int c = 0; c < 2; ++c) {
    fs::create_directories(root / ("class" + std::to_string(c)));
    // 40 images: 4 held out, 36 train in 9 whole batches of 4 (a last
    // batch of 1 cannot be trained through batch norm).
    for (int i = 0; i < 20; ++i) {
      data::Image image(24, 24);
      for (std::uint8_t& value : image.pixels) value = static_cast<std::uint8_t>((c ? 180 : 60) + rng() % 50);
      data::write_file_bytes(root / ("class" + std::to_string(c)) / ("i" + std::to_string(i) + ".png"),
                             data::encode_png(image));
    }
  }
}

// One real run shared by the tests of this file (a few seconds on 2 cores).
class ReportCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    make_flat_colour_set(*dir_ / "data");
    int code = -1;
    output_ = testing::run_command(
        trainbench_command("train --data '" + (*dir_ / "data").string() + "' --model resnet18 --img-size 32 -b 4 "
                           "--epochs 3 --augment none --workers 1 --threads 1 --no-progress --telemetry-interval 0.05 "
                           "--db '" + (*dir_ / "results.db").string() + "' -o '" + (*dir_ / "run").string() + "'"),
        &code);
    ASSERT_EQ(code, 0) << output_;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path run() { return *dir_ / "run"; }
  static TempDir* dir_;
  static std::string output_;
};
TempDir* ReportCommand::dir_ = nullptr;
std::string ReportCommand::output_;

TEST_F(ReportCommand, TrainingRecordsTelemetryPerPhase) {
  const std::string log = read_text_file(run() / "telemetry.jsonl");
  std::set<std::string> phases;
  std::istringstream lines(log);
  std::string line;
  double last_seconds = -1.0;
  int samples = 0;
  while (std::getline(lines, line)) {
    const nlohmann::json sample = nlohmann::json::parse(line);
    phases.insert(sample["phase"].get<std::string>());
    EXPECT_GE(sample["seconds"].get<double>(), last_seconds);
    last_seconds = sample["seconds"].get<double>();
    EXPECT_GT(sample["process_rss_bytes"].get<double>(), 1e6);
    ++samples;
  }
  EXPECT_GE(samples, 5);
  EXPECT_TRUE(phases.count("train")) << log;
  EXPECT_TRUE(phases.count("setup")) << log;

  const nlohmann::json summary = read_json(run() / "summary.json");
  ASSERT_TRUE(summary["telemetry"].is_object()) << summary.dump(2);
  EXPECT_GT(summary["telemetry"]["train"]["samples"].get<int>(), 0);
  EXPECT_GT(summary["telemetry"]["train"]["process_cpu_percent"].get<double>(), 0.0);
  EXPECT_NE(output_.find("while training: process CPU"), std::string::npos) << output_;
  EXPECT_TRUE(fs::exists(run() / "provenance.json"));

  // The same samples went to the results store with the run.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((*dir_ / "results.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM telemetry_samples WHERE owner_kind = 'train' AND owner_id = 1", -1,
                     &statement, nullptr);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), samples);
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST_F(ReportCommand, HtmlReportIsOneSelfContainedPageWithItsCharts) {
  int code = -1;
  const fs::path html = *dir_ / "out" / "report.html";
  const std::string out = testing::run_command(trainbench_command("report '" + run().string() + "' -o '" + html.string() + "'"), &code);
  ASSERT_EQ(code, 0) << out;
  const std::string page = read_text_file(html);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  // Loss, accuracy, lr, throughput, data wait, and at least the CPU and RSS lanes.
  EXPECT_GE(count(page, "<svg"), 7u);
  for (const char* part : {"Loss", "Accuracy", "Learning rate", "Training throughput over time", "first pass (cold)",
                           "waiting for data", "Resident memory", "resnet18", "run folder"}) {
    EXPECT_NE(page.find(part), std::string::npos) << part;
  }
  // Nothing to fetch: no scripts, links, images or remote URLs (the SVG
  // namespace is an identifier, not a fetch).
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);
  EXPECT_EQ(count(page, "url("), count(page, "url(#"));  // clip paths inside the page
  EXPECT_EQ(count(page, "http"), count(page, "http://www.w3.org/2000/svg"));
}

TEST_F(ReportCommand, MarkdownReportLinksItsChartsWrittenBesideIt) {
  int code = -1;
  const fs::path md = *dir_ / "md" / "report.md";
  testing::run_command(trainbench_command("report '" + run().string() + "' -o '" + md.string() + "'"), &code);
  ASSERT_EQ(code, 0);
  const std::string text = read_text_file(md);
  EXPECT_NE(text.find("| epoch | train loss |"), std::string::npos) << text;
  const std::regex link(R"(\]\((report_files/[^)]+\.svg)\))");
  int links = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), link); it != std::sregex_iterator(); ++it) {
    const fs::path chart = md.parent_path() / (*it)[1].str();
    EXPECT_TRUE(fs::exists(chart)) << chart;
    EXPECT_EQ(read_text_file(chart).rfind("<svg", 0), 0u) << chart;
    ++links;
  }
  EXPECT_GE(links, 7);
}

TEST_F(ReportCommand, SeveralRunsAndAReferenceGetThroughputBarsWithRatios) {
  int code = -1;
  const fs::path html = *dir_ / "two.html";
  testing::run_command(trainbench_command("report '" + run().string() + "' '" + run().string() +
                                          "' --reference titan-rtx -o '" + html.string() + "'"),
                       &code);
  ASSERT_EQ(code, 0);
  const std::string page = read_text_file(html);
  EXPECT_NE(page.find("Throughput compared"), std::string::npos);
  EXPECT_NE(page.find("within 10% of run"), std::string::npos);  // the same run twice: ratio 1.00
  EXPECT_NE(page.find("Titan RTX (published)"), std::string::npos);
  EXPECT_NE(page.find("not measurements"), std::string::npos);
}

TEST_F(ReportCommand, BadInputIsOneClearErrorAndWritesNothing) {
  int code = -1;
  const fs::path html = *dir_ / "never.html";
  std::string out = testing::run_command(trainbench_command("report '" + run().string() + "' -o '" + (*dir_ / "r.pdf").string() + "' 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find(".html"), std::string::npos) << out;
  out = testing::run_command(trainbench_command("report '" + (*dir_ / "data").string() + "' -o '" + html.string() + "' 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("not a training run folder"), std::string::npos) << out;
  out = testing::run_command(trainbench_command("report -o '" + html.string() + "' 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("nothing to report"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(html));
}

// ---- the browser ----

std::string chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (fs::exists(candidate)) return candidate;
  }
  return "";
}

struct Rendered {
  int exit_code = -1;
  std::vector<std::string> console;  // what the page logged (errors, warnings, uncaught exceptions)
  data::Image screenshot;
};

// Loads the page in headless Chromium, as a reader's browser would, and
// takes a full-width screenshot; console lines come from Chromium's log.
Rendered render(const fs::path& page, const fs::path& work, int height) {
  Rendered result;
  const fs::path png = work / "screenshot.png";
  const fs::path log = work / "chromium.log";
  const std::string command =
      "timeout 120 '" + chromium() + "' --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run "
      "--user-data-dir='" + (work / "profile").string() + "' --enable-logging=stderr --v=0 --window-size=1000," +
      std::to_string(height) + " --screenshot='" + png.string() + "' 'file://" + fs::absolute(page).string() +
      "' 2>'" + log.string() + "'";
  testing::run_command(command, &result.exit_code);
  std::istringstream lines(read_text_file(log));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find(":CONSOLE") != std::string::npos) result.console.push_back(line);
  }
  if (fs::exists(png)) result.screenshot = data::read_image_file(png);
  return result;
}

bool near(const std::uint8_t* p, int r, int g, int b) {
  return std::abs(p[0] - r) < 16 && std::abs(p[1] - g) < 16 && std::abs(p[2] - b) < 16;
}

TEST(Browser, TheCheckSeesConsoleErrorsAndBlankPages) {
  if (chromium().empty()) GTEST_SKIP() << "no chromium (scripts/setup installs Debian's)";
  TempDir dir;
  // A page that logs an error must be caught, or the report test could not fail.
  std::ofstream(dir / "bad.html") << "<!DOCTYPE html><html><body><p>x</p><script>console.error('broken chart')"
                                     "</script></body></html>";
  const Rendered bad = render(dir / "bad.html", dir.path(), 400);
  ASSERT_EQ(bad.exit_code, 0);
  ASSERT_EQ(bad.console.size(), 1u);
  EXPECT_NE(bad.console[0].find("broken chart"), std::string::npos);
  ASSERT_FALSE(bad.screenshot.empty());
  int coloured = 0;
  for (int y = 0; y < bad.screenshot.height; ++y) {
    for (int x = 0; x < bad.screenshot.width; ++x) coloured += near(bad.screenshot.pixel(x, y), 0x00, 0x72, 0xB2);
  }
  EXPECT_EQ(coloured, 0);  // nothing blue on a page with no chart
}

TEST_F(ReportCommand, TheHtmlReportRendersInABrowserWithChartsAndNoErrors) {
  if (chromium().empty()) GTEST_SKIP() << "no chromium (scripts/setup installs Debian's)";
  int code = -1;
  const fs::path html = *dir_ / "browser" / "report.html";
  testing::run_command(trainbench_command("report '" + run().string() + "' -o '" + html.string() + "'"), &code);
  ASSERT_EQ(code, 0);
  const Rendered page = render(html, html.parent_path(), 6000);
  ASSERT_EQ(page.exit_code, 0);
  EXPECT_TRUE(page.console.empty()) << page.console.front();
  ASSERT_EQ(page.screenshot.width, 1000);

  // The charts were drawn: the first series colour (#0072B2) in many rows
  // spread down the page (one band per chart), and the page is not blank.
  int blue = 0, non_white = 0;
  std::set<int> blue_bands;
  for (int y = 0; y < page.screenshot.height; ++y) {
    for (int x = 0; x < page.screenshot.width; ++x) {
      const std::uint8_t* p = page.screenshot.pixel(x, y);
      non_white += !(p[0] > 245 && p[1] > 245 && p[2] > 245);
      if (near(p, 0x00, 0x72, 0xB2)) {
        ++blue;
        blue_bands.insert(y / 150);
      }
    }
  }
  EXPECT_GT(blue, 2000);
  EXPECT_GE(blue_bands.size(), 5u);
  EXPECT_GT(non_white, 200000);
  // Kept for a person to look at (the test log names it).
  const fs::path kept = fs::temp_directory_path() / "trainbench-report-screenshot.png";
  fs::copy_file(html.parent_path() / "screenshot.png", kept, fs::copy_options::overwrite_existing);
  std::printf("screenshot: %s\n", kept.c_str());
}

}  // namespace
}  // namespace trainbench
