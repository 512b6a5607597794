# rvirt: build, test and demo.
#
#   make demo   boot examples/p0 on rvirt and walk the boot path with gdb
#   make test   install what is missing, build the example kernels, lint, run the tests
#
# `make test` works as root on a fresh Debian 12 machine: scripts/install-deps.sh
# apt-installs the toolchain, QEMU and gdb-multiarch; the Python venv is made on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.NOTPARALLEL:

PYTHON3 ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.rvirt-installed

# The example kernel, built offline with Debian's Rust (/usr/bin first: rustup's shims in
# ~/.cargo/bin have no standard-library source to build `core` from).
P0_DIR := examples/p0
TARGET := riscv32imac-unknown-none-elf
P0_ELF := $(P0_DIR)/target/$(TARGET)/debug/p0
P0_NOSCRIPT_DIR := target/no-linker-script
P0_NOSCRIPT_ELF := $(P0_DIR)/$(P0_NOSCRIPT_DIR)/$(TARGET)/debug/p0
CARGO_OFFLINE := cd $(P0_DIR) && PATH=/usr/bin:$$PATH RUSTC_BOOTSTRAP=1 \
	cargo --config .cargo/offline.toml

.PHONY: help test deps venv p0 p0-no-linker-script p0-mistakes kernels examples linux lint pytest demo bench clean distclean

help:
	@echo "make demo                 boot examples/p0 on rvirt, step the boot path with gdb"
	@echo "make test                 deps + venv + example kernels + ruff + pytest (three tiers) + Linux"
	@echo "make p0                   build examples/p0 offline -> $(P0_ELF)"
	@echo "make p0-no-linker-script  p0 linked without its linker script (boots into zeroed RAM)"
	@echo "make p0-mistakes          p0 with each classic mistake the hints explain"
	@echo "make kernels              build examples/hello, trap and paging offline"
	@echo "make linux                Linux 6.1 rv32 with rvirt's config and init -> build/linux/Image"
	@echo "make lint                 ruff check"
	@echo "make bench                rvirt against QEMU: bench/run.py, board.py, linux.py, systems.py, diag.py, grading.py, reverse.py"
	@echo "make clean                remove build output (distclean: the venv too)"

deps:
	@bash scripts/install-deps.sh

# The venv is made when missing or broken, and the package (re)installed when
# pyproject.toml or this file is newer than the last install.  editable_mode=compat: the
# editable install is a .pth line putting the checkout on sys.path; setuptools' default
# for this layout is an import hook whose module pulls in pathlib, re and urllib at every
# Python start (about 30 ms of each `rvirt` run).
$(VENV_STAMP): pyproject.toml Makefile | deps
	@$(PY) -c '' 2>/dev/null || $(PYTHON3) -m venv --clear $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check \
	  --config-settings editable_mode=compat -e '.[test]'
	@touch $@

venv: $(VENV_STAMP)

p0: | deps
	$(CARGO_OFFLINE) build --offline
	@echo "p0: $(P0_ELF)"

# Same sources, the `no-linker-script` feature, its own target dir so both ELFs coexist.
p0-no-linker-script: | deps
	$(CARGO_OFFLINE) build --offline --features no-linker-script --target-dir $(P0_NOSCRIPT_DIR)
	@echo "p0 without linker script: $(P0_NOSCRIPT_ELF)"

# p0 with each classic mistake (examples/p0/Cargo.toml), for the hints: one target dir,
# each build copied out to target/mistakes/bin/p0-<feature>.
P0_MISTAKES := no-stack no-trap-handler rom-store no-device

p0-mistakes: | deps
	@for f in $(P0_MISTAKES); do \
	  ($(CARGO_OFFLINE) build --offline --features $$f --target-dir target/mistakes && \
	   mkdir -p target/mistakes/bin && \
	   cp target/mistakes/$(TARGET)/debug/p0 target/mistakes/bin/p0-$$f) || exit 1; \
	done
	@echo "p0 mistakes: $(P0_DIR)/target/mistakes/bin/p0-{$$(echo $(P0_MISTAKES) | tr ' ' ,)}"

# The tutorial's next steps (examples/hello, trap, paging), built the same offline way.
KERNELS := hello trap paging

kernels: | deps
	@for k in $(KERNELS); do \
	  (cd examples/$$k && PATH=/usr/bin:$$PATH RUSTC_BOOTSTRAP=1 \
	    cargo --config .cargo/offline.toml build --offline) || exit 1; \
	  echo "$$k: examples/$$k/target/$(TARGET)/debug/$$k"; \
	done

examples: p0 p0-no-linker-script p0-mistakes kernels

lint: venv
	$(PY) -m ruff check .

# pytest's summary is the last thing `make test` prints; a lint failure (reported above
# it) still makes the run fail. pytest's exit 5 means it collected no test at all.
pytest: venv
	@$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make: pytest collected no tests"; rc=0; fi; exit $$rc

# Every test on the default tier (native: LLVM-compiled blocks) while Linux builds beside
# it, then Linux's boot (tests/linux), then every test again on Python blocks and on the
# reference interpreter alone, those two side by side: scripts/run-tests.sh.
test: deps venv examples
	@PY=$(PY) bash scripts/run-tests.sh

# Linux 6.1 rv32 from Debian's linux-source-6.1, rvirt's own config and init (linux/):
# build/linux/Image.
linux: | deps
	@bash scripts/build-linux.sh

demo: venv p0
	$(PY) scripts/demo.py --elf $(P0_ELF)

bench: venv p0 p0-mistakes kernels linux
	$(PY) bench/run.py
	$(PY) bench/board.py
	$(PY) bench/linux.py
	$(PY) bench/systems.py
	$(PY) bench/diag.py
	$(PY) bench/grading.py
	$(PY) bench/reverse.py

clean:
	rm -rf $(P0_DIR)/target $(KERNELS:%=examples/%/target) tests/_build build .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info
