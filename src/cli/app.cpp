#include "cli/app.h"

#include <c10/util/Exception.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "core/build_info.h"
#include "core/error.h"

namespace trainbench::cli {

int run(int argc, char** argv) {
  // A file-size limit (ulimit -f) then makes a write fail with EFBIG, which
  // the writers report and survive, instead of killing the process mid-run.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{
      "trainbench: trains real image classifiers on this machine's CPU or GPU and measures how fast it trains.\n"
      "Start with `trainbench data synth --out data/gestures`, then `trainbench train --data data/gestures`."};
  app.name("trainbench");
  app.set_version_flag("--version", std::string("trainbench ") + TRAINBENCH_VERSION + " (" + core::git_commit() + ")");
  app.require_subcommand(1);
  // A repeated option takes its last value, as argparse does, so a flag added
  // at the end of a command line overrides the same flag earlier in it.
  // Set before the commands are added: a subcommand copies these defaults
  // when it is created, and an option when it is added. Options that are
  // lists (std::vector: predict's images, results' --filter, ...) still
  // collect every value, as TakeLast keeps as many values as an option
  // expects; bench's LIST options collect too (see add_list_option there).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  int exit_code = 0;
  add_train_command(app, &exit_code);
  add_eval_command(app, &exit_code);
  add_predict_command(app, &exit_code);
  add_devices_command(app, &exit_code);
  add_models_command(app, &exit_code);
  add_data_command(app, &exit_code);
  add_export_command(app, &exit_code);
  add_doctor_command(app, &exit_code);
  add_bench_command(app, &exit_code);
  add_results_command(app, &exit_code);
  add_compare_command(app, &exit_code);
  add_report_command(app, &exit_code);
  add_launch_command(app, &exit_code);
  add_serve_command(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const Error& e) {
    std::fprintf(stderr, "trainbench: error: %s\n", e.what());
    return 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "trainbench: LibTorch error: %s\n", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trainbench: unexpected error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}

}  // namespace trainbench::cli
