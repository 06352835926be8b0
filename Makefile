# The commands a person types. Everything builds static for musl: x86_64 by default,
# or TARGET=aarch64-unknown-linux-musl, armv7-unknown-linux-musleabihf,
# riscv64gc-unknown-linux-musl (docs/building.md).
TARGET     ?= x86_64-unknown-linux-musl
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
REL        := $(TARGET_DIR)/$(TARGET)/release
DBG        := $(TARGET_DIR)/$(TARGET)/debug

include mk/cross.mk
PREFIX     ?= /usr/local
CARGO      ?= cargo
DEMO_ID    ?= runlet-demo

export RUNLET_BIN := $(abspath $(REL)/runlet)
export PROBE_BIN  := $(abspath $(REL)/probe)
export RUNLET_DEBUG_BIN := $(abspath $(DBG)/runlet)

.PHONY: all build debug-runlet toolchain helpers sizes bench-vm demo initramfs-demo test soak unit integration lint fmt bench install clean

all: build

# The musl target is not on a new machine; rustup adds it once. The x86_64 one also
# when building for another, for the tests' host side.
toolchain: toolchain-$(TARGET)
	@rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl

# The no_std helpers build in a cargo invocation of their own: features unify across
# one invocation, and the parent's rustix `std` would otherwise reach them.
helpers: toolchain
	$(CARGO_T) build --release --target $(TARGET) $(STD_HELPERS) -p runlet-init -p runlet-exec

# The parent embeds the helpers, so it builds after them.
build: helpers
	RUNLET_HELPERS_DIR=$(abspath $(REL)) $(CARGO_T) build --release --target $(TARGET) $(STD_PARENT) -p runlet -p runlet-tests
	@$(MAKE) --no-print-directory sizes

# A debug runlet embedding the release helpers, for the tests that need
# RUNLET_HELPER_DIR (only a debug build honours it; docs/testing.md).
debug-runlet: helpers
	RUNLET_HELPERS_DIR=$(abspath $(REL)) $(CARGO) build -p runlet

sizes:
	@for f in runlet runlet-init runlet-exec; do \
		printf '%-12s %8d bytes (%d KiB)\n' $$f $$(stat -c %s $(REL)/$$f) $$(( $$(stat -c %s $(REL)/$$f) / 1024 )); \
	done

# A real container from the built-in demo bundle: the probe reports what it sees.
demo: build
	@if [ "$$(id -u)" != 0 ]; then echo "make demo: starting a container needs root (try: sudo make demo)"; exit 1; fi
	$(REL)/mkbundle $(TARGET_DIR)/demo-bundle --probe $(REL)/probe
	$(REL)/runlet run --bundle $(TARGET_DIR)/demo-bundle $(DEMO_ID)

# runlet inside an initramfs, booted with qemu and the Debian kernel (docs/initramfs.md).
# Installs qemu-system-x86 and linux-image-amd64 when missing (as root).
INITRAMFS_PKGS := qemu-system-x86 linux-image-amd64
initramfs-demo: build
	@if ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then \
		if [ "$$(id -u)" != 0 ]; then echo "make initramfs-demo: needs $(INITRAMFS_PKGS) (install them, or run as root)"; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(INITRAMFS_PKGS); fi
	$(REL)/initramfs-demo $(TARGET_DIR)/initramfs-demo

# Every test, unit and integration. Integration tests start real containers as root.
# The helpers' shared runtime is tested in an invocation of its own, as it is built:
# the parent's rustix `std` must not unify into it.
# Every target is built and the boards' kernels fetched first: tests/boards_vm.rs
# boots them. After the host's tests, the unit tests of wire and runlet for each
# board's architecture under qemu-user (mk/cross.mk). TEST_FLAGS reaches cargo
# (.ci/run: --no-fail-fast, so one run counts every test).
TEST_FLAGS ?=
test: build debug-runlet cross vm-kernels
	$(CARGO) test $(TEST_FLAGS) -p helper-rt
	RUNLET_REQUIRE_CROSS=1 RUNLET_HELPERS_DIR=$(abspath $(REL)) $(CARGO) test $(TEST_FLAGS) -p wire -p runlet -p runlet-tests
	@$(MAKE) --no-print-directory test-cross

# The reliability suite's long version (docs/reliability.md): more soak runs and
# every kill point swept more times than `make test` does.
RUNLET_SOAK_RUNS   ?= 3000
RUNLET_SOAK_SWEEPS ?= 10
soak: build debug-runlet
	RUNLET_SOAK_RUNS=$(RUNLET_SOAK_RUNS) RUNLET_SOAK_SWEEPS=$(RUNLET_SOAK_SWEEPS) \
	RUNLET_HELPERS_DIR=$(abspath $(REL)) $(CARGO) test -p runlet-tests \
		--no-fail-fast --test reliability --test reliability_state -- --nocapture

lint: toolchain
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -p runlet-init -p runlet-exec -p helper-rt -- -D warnings
	RUNLET_HELPERS_DIR=$(abspath $(REL)) $(CARGO) clippy --all-targets -p wire -p runlet -p runlet-tests -- -D warnings

fmt:
	$(CARGO) fmt --all

bench: build
	scripts/bench.sh
	scripts/bench-seccomp.sh
	scripts/bench-exec.sh
	@$(MAKE) --no-print-directory bench-vm

# runlet's start-up against the floor inside the aarch64 VM (tests/boards_vm.rs,
# docs/performance.md): the aarch64 build, its kernel, one run side by side.
bench-vm: build
	@$(MAKE) --no-print-directory build TARGET=aarch64-unknown-linux-musl vm-kernels
	RUNLET_HELPERS_DIR=$(abspath $(REL)) $(CARGO) test --release -p runlet-tests \
		--test boards_vm aarch64_startup_ratio -- --ignored --nocapture

# The one file of TARGET's build (docs/building.md: on a board, copying it is all).
install: build
	install -D -m 0755 $(REL)/runlet $(DESTDIR)$(PREFIX)/bin/runlet

clean:
	$(CARGO) clean
