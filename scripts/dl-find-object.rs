// `_dl_find_object` for the riscv64 build (scripts/cross-sysroot.sh compiles it to an
// object with the pinned nightly; no C cross compiler is needed). libgcc 14's
// unwinder, linked for std's backtrace code, asks glibc (2.35+) for it; musl has no
// such call. Answering "not found" (non-zero) makes the unwinder find no frames: a
// panic (which aborts: panic = "abort") prints its message without a backtrace.
#![feature(no_core, lang_items)]
#![allow(internal_features)]
#![no_core]
#![crate_type = "lib"]

#[lang = "pointee_sized"]
pub trait PointeeSized {}
#[lang = "meta_sized"]
pub trait MetaSized: PointeeSized {}
#[lang = "sized"]
pub trait Sized: MetaSized {}

#[no_mangle]
pub extern "C" fn _dl_find_object(_pc: usize, _result: usize) -> i32 {
    1
}
