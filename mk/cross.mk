# Building for the boards (docs/building.md): which toolchain each target takes, the
# C side of the targets rustup does not serve, `make cross`, and the tests that run
# the boards' builds: unit tests under qemu-user, the initramfs test in a VM.

# rustup serves rust-std for x86_64 and aarch64 musl on stable. armv7 and riscv64 musl
# are built on this dated nightly with -Zbuild-std (from its rust-src), linked by
# rust-lld against musl's crt1.o/libc.a and libgcc's unwinder from Debian
# (scripts/cross-sysroot.sh).
NIGHTLY     := nightly-2026-05-20
BOARDS      := aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf riscv64gc-unknown-linux-musl
ALL_TARGETS := x86_64-unknown-linux-musl $(BOARDS)
BUILD_STD   := armv7-unknown-linux-musleabihf riscv64gc-unknown-linux-musl

# armv7 in Thumb-2: about a fifth smaller than ARM code, which keeps the helpers
# under their 64 KiB and 32 KiB targets; every armv7 core runs it.
ifeq ($(TARGET),armv7-unknown-linux-musleabihf)
ARCH_FLAGS := -C target-feature=+thumb-mode
endif

CARGO_T = $(CARGO)
ifneq ($(filter $(TARGET),$(BUILD_STD)),)
CARGO_T      = $(CARGO) +$(NIGHTLY)
STD_HELPERS := -Zbuild-std=core,compiler_builtins
STD_PARENT  := -Zbuild-std=std,panic_abort
STD_TEST    := -Zbuild-std --config 'profile.dev.panic="unwind"'
CROSS_LIB   := $(CURDIR)/target/cross/$(TARGET)/lib
TARGET_ENV  := $(shell echo $(TARGET) | tr a-z- A-Z_)
# Replaces .cargo/config.toml's rustflags for this target: not the self-contained
# start files (a build-std target has none), Debian's musl instead.
export CARGO_TARGET_$(TARGET_ENV)_RUSTFLAGS := -C target-feature=+crt-static \
	-C relocation-model=static -C link-self-contained=no \
	-L native=$(CROSS_LIB) -C link-arg=$(CROSS_LIB)/crt1.o \
	-C link-arg=$(CROSS_LIB)/dl-find-object.o $(ARCH_FLAGS)
endif

# qemu-user's name for each target's architecture.
qemu_user = qemu-$(patsubst armv7,arm,$(patsubst riscv64gc,riscv64,$(firstword $(subst -, ,$(1)))))

.PHONY: cross cross-sizes test-cross unit-qemu vm-kernels $(addprefix toolchain-,$(ALL_TARGETS))

$(addprefix toolchain-,x86_64-unknown-linux-musl aarch64-unknown-linux-musl): toolchain-%:
	@rustup target list --installed 2>/dev/null | grep -qx $* || rustup target add $*

$(addprefix toolchain-,$(BUILD_STD)): toolchain-%:
	@rustup toolchain list 2>/dev/null | grep -q '^$(NIGHTLY)' || \
		rustup toolchain install $(NIGHTLY) --profile minimal -c rust-src
	@scripts/cross-sysroot.sh $* $(NIGHTLY)

# All four static files, then their sizes side by side.
cross:
	@for t in $(ALL_TARGETS); do $(MAKE) --no-print-directory build TARGET=$$t || exit 1; done
	@$(MAKE) --no-print-directory cross-sizes

# Targets (docs/performance.md): runlet-init <= 64 KiB, runlet-exec <= 32 KiB,
# runlet <= 800 KiB, on every architecture.
cross-sizes:
	@printf '%-32s %10s %10s %10s\n' target runlet runlet-init runlet-exec
	@for t in $(ALL_TARGETS); do \
		d=$(TARGET_DIR)/$$t/release; line=$$(printf '%-32s' $$t); miss=""; \
		for f in runlet:819200 runlet-init:65536 runlet-exec:32768; do \
			n=$${f%%:*}; max=$${f##*:}; s=$$(stat -c %s $$d/$$n 2>/dev/null || echo 0); \
			line="$$line $$(printf '%10d' $$s)"; \
			[ $$s -gt 0 ] && [ $$s -le $$max ] || miss="$$miss $$n"; \
		done; \
		echo "$$line$${miss:+   over target or missing:$$miss}"; \
	done

# The boards' unit tests, for `make test`: wire's and runlet's, for each board's
# architecture, run under qemu-user.
test-cross:
	@for t in $(BOARDS); do $(MAKE) --no-print-directory unit-qemu TARGET=$$t || exit 1; done

unit-qemu: toolchain
	@command -v $(call qemu_user,$(TARGET)) >/dev/null || { \
		echo "unit-qemu: no $(call qemu_user,$(TARGET)): install qemu-user (.ci/run does)"; exit 1; }
	CARGO_TARGET_$(shell echo $(TARGET) | tr a-z- A-Z_)_RUNNER=$(call qemu_user,$(TARGET)) \
		$(CARGO_T) test --target $(TARGET) $(STD_TEST) $(TEST_FLAGS) -p wire -p runlet

# The Debian kernels the initramfs VM tests boot, unpacked under target/vm/<arch>
# (bookworm's arm64 and armmp, trixie's riscv64: Debian has riscv64 since trixie).
vm-kernels:
	@scripts/debian-fetch.sh arm64 bookworm target/vm/arm64 linux-image-arm64 >/dev/null
	@scripts/debian-fetch.sh armhf bookworm target/vm/armhf linux-image-armmp >/dev/null
	@scripts/debian-fetch.sh riscv64 trixie target/vm/riscv64 linux-image-riscv64 >/dev/null
	@ls target/vm/*/boot/vmlinuz-*
