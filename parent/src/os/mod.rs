//! What runlet needs from the system beneath everything else: the raw syscalls rustix
//! does not cover (`sys`), the allocator (`arena`), wall-clock times (`clock`) and the
//! `--debug` log (`log`).

pub mod arena;
pub mod clock;
pub mod log;
pub mod sys;
