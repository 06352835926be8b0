//! What runlet needs from the system beneath everything else: the raw syscalls rustix
//! does not cover (`sys`), the allocator (`arena`), wall-clock times (`clock`), the
//! `--debug` log (`log`), the one wait with a deadline (`poll`) and the mount table
//! (`mountinfo`).

pub mod arena;
pub mod clock;
pub mod log;
pub mod mountinfo;
pub mod poll;
pub mod sys;
