# Sourced by the benchmark scripts: where the binaries they time are.
# Knobs: CARGO_TARGET_DIR, REL (the release dir), RUNLET_BIN, PROBE_BIN.
TARGET=x86_64-unknown-linux-musl
TARGET_DIR=${CARGO_TARGET_DIR:-target}
REL=$(readlink -f "${REL:-$TARGET_DIR/$TARGET/release}")
RUNLET=$(readlink -f "${RUNLET_BIN:-$REL/runlet}")
PROBE=$(readlink -f "${PROBE_BIN:-$REL/probe}")
MKBUNDLE=$REL/mkbundle
BENCHTIME=$REL/benchtime
