// Write throughput of the results store: W processes each store R bench rows
// one at a time, every row in its own transaction (as `bench` and `train`
// store theirs), into one store; prints the rows per second over the whole
// job as one JSON line, after checking that every row arrived once.
//
//   store_write_bench LOCATION WRITERS ROWS_EACH
//
// LOCATION is a SQLite file or a postgresql:// URL (bench/store-throughput
// starts a throwaway server and runs both).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "store/results_store.h"

namespace {

trainbench::store::BenchRow row_of(int writer, int sequence) {
  trainbench::store::BenchRow row;
  row.model = "writer" + std::to_string(writer);
  row.device = "cpu";
  row.batch_size = 64;
  row.image_size = 224;
  row.steps = sequence;
  row.images_per_sec = 100.0 + sequence;
  row.images_per_sec_samples = {99.5, 100.0, 100.5};
  row.provenance.device_name = "store write bench";
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s LOCATION WRITERS ROWS_EACH\n", argv[0]);
    return 2;
  }
  const std::string location = argv[1];
  const int writers = std::atoi(argv[2]), rows_each = std::atoi(argv[3]);
  try {
    // The schema exists before the clock starts: creating it is not a write.
    const auto before = trainbench::store::ResultsStore::open(location).query(trainbench::store::ResultKind::kBench, {});
    const auto start = std::chrono::steady_clock::now();
    std::vector<pid_t> children;
    for (int writer = 0; writer < writers; ++writer) {
      const pid_t pid = fork();
      if (pid == 0) {
        int code = 0;
        try {
          auto store = trainbench::store::ResultsStore::open(location);
          for (int sequence = 0; sequence < rows_each; ++sequence) store.insert_bench(row_of(writer, sequence));
        } catch (const std::exception& error) {
          std::fprintf(stderr, "writer %d: %s\n", writer, error.what());
          code = 1;
        }
        _exit(code);
      }
      children.push_back(pid);
    }
    bool all_ok = true;
    for (pid_t child : children) {
      int status = 0;
      waitpid(child, &status, 0);
      all_ok = all_ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::size_t stored =
        trainbench::store::ResultsStore::open(location).query(trainbench::store::ResultKind::kBench, {}).rows.size() -
        before.rows.size();
    const std::size_t expected = static_cast<std::size_t>(writers) * static_cast<std::size_t>(rows_each);
    if (!all_ok || stored != expected) {
      std::fprintf(stderr, "store_write_bench: %zu rows stored, %zu expected\n", stored, expected);
      return 1;
    }
    std::printf("{\"writers\": %d, \"rows\": %zu, \"seconds\": %.3f, \"rows_per_sec\": %.1f}\n", writers, expected,
                seconds, static_cast<double>(expected) / seconds);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "store_write_bench: %s\n", error.what());
    return 1;
  }
}
