# The two commands of the README:
#   make run   set-up, Release build, then a short real training on synthetic data
#   make test  set-up, build, and every test through CTest
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DATA_DIR ?= data/synthetic-gestures
RUN_DIR ?= runs/default

# The default job: the workload's model and optimiser on the first 5 synthetic
# gesture classes (call, dislike, fist, four, like) at 64 px, trained from
# scratch in under three minutes on two cores, with the workload's
# TrivialAugmentWide. Measured here: validation accuracy rises from chance
# (0.2) to 0.47 after the 6 epochs (0.60 with --augment none: augmentation
# pays off over longer runs); all 19 classes need far more than a few CPU
# minutes (0.085 after 8 epochs at 64 px, without augmentation).
SYNTH_FLAGS ?= --classes 5 --per-class 1000 --seed 1234
RUN_FLAGS ?= --model resnet18d --img-size 64 --epochs 6 -b 32 --lr 2e-3

# The fuzzers (fuzz/, clang's libFuzzer): `make fuzz-test` builds them here and
# runs each for a few seconds and every saved finding once; see fuzz/README.md.
# `make test` ends with it.
FUZZ_BUILD_DIR ?= $(BUILD_DIR)/fuzz

# `make sanitize-test`: the unit tests built with AddressSanitizer and
# UndefinedBehaviorSanitizer (TRAINBENCH_SANITIZE; our code instrumented,
# LibTorch not), in their own folder. -O1 with line tables: the build costs
# about what the Release one does, the suite runs in about 14 minutes on two
# busy cores, and reports still name file:line. UB is fatal
# (-fno-sanitize-recover) and so is every ASan report; LeakSanitizer stays on
# (nothing from LibTorch's start-up is reported). allocator_may_return_null=1:
# an impossible allocation (OutOfMemory.RecognisesATorchAllocationErrorFromTheAllocator
# asks for 2^60 bytes on purpose) fails as it does without ASan, a null from
# malloc that LibTorch turns into its "not enough memory" error, instead of
# ASan aborting the process.
ASAN_BUILD_DIR ?= build-asan
SANITIZE_CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DTRAINBENCH_SANITIZE=ON
SANITIZE_ENV = ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:allocator_may_return_null=1 \
               UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
SANITIZE_CTEST_FLAGS ?=

.PHONY: setup build run test fuzz-test sanitize-test clean

setup:
	./scripts/setup

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release

build: setup $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@if [ ! -d "$(DATA_DIR)" ]; then \
	  $(BUILD_DIR)/trainbench data synth --out $(DATA_DIR) $(SYNTH_FLAGS); \
	fi
	$(BUILD_DIR)/trainbench train --data $(DATA_DIR) $(RUN_FLAGS) --output $(RUN_DIR) --overwrite

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) fuzz-test

$(FUZZ_BUILD_DIR)/CMakeCache.txt:
	cmake -S fuzz -B $(FUZZ_BUILD_DIR) -DCMAKE_CXX_COMPILER=clang++

fuzz-test: setup $(FUZZ_BUILD_DIR)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS)
	cd $(FUZZ_BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

sanitize-test: setup
	cmake -S . -B $(ASAN_BUILD_DIR) $(SANITIZE_CMAKE_FLAGS)
	$(SANITIZE_ENV) cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	cd $(ASAN_BUILD_DIR) && $(SANITIZE_ENV) ctest --output-on-failure -j $(JOBS) $(SANITIZE_CTEST_FLAGS)

clean:
	rm -rf $(BUILD_DIR)
