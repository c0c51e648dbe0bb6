# The two commands of the README:
#   make run   set-up, Release build, then a short real training on synthetic data
#   make test  set-up, build, and every test through CTest
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DATA_DIR ?= data/synthetic-gestures
RUN_DIR ?= runs/default

# The default job: 19 classes like HaGRID, small enough to train in a few
# minutes on two cores and still show a ResNet clearly learning.
SYNTH_PER_CLASS ?= 160
RUN_FLAGS ?= --model resnet18d --img-size 96 --epochs 4 -b 32 --lr 2e-3

.PHONY: setup build run test clean

setup:
	./scripts/setup

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release

build: setup $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@if [ ! -d "$(DATA_DIR)" ]; then \
	  $(BUILD_DIR)/trainbench data synth --out $(DATA_DIR) --per-class $(SYNTH_PER_CLASS) --seed 1234; \
	fi
	$(BUILD_DIR)/trainbench train --data $(DATA_DIR) $(RUN_FLAGS) --output $(RUN_DIR) --overwrite

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
