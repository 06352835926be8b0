//! The global allocator: a bump arena in static memory, then the system allocator.
//!
//! runlet is a short-lived command that allocates a few hundred small blocks. musl's
//! allocator maps and unmaps a page for many of them (about 40 mmap/munmap calls
//! per `run`, ~0.3 ms); an arena that never frees costs none. Memory past the arena
//! (a long `list`, say) comes from the system allocator as usual. The arena lives in
//! .bss: it adds nothing to the file, and only the pages used become resident.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

const SIZE: usize = 1 << 20;

#[repr(C, align(4096))]
struct Memory(UnsafeCell<[u8; SIZE]>);

// SAFETY: bytes are handed out once each (the bump index only grows, atomically),
// so no two owners ever share a byte.
unsafe impl Sync for Memory {}

static MEMORY: Memory = Memory(UnsafeCell::new([0; SIZE]));
/// Offset of the first free byte.
static NEXT: AtomicUsize = AtomicUsize::new(0);

pub struct Arena;

fn base() -> usize {
    MEMORY.0.get() as usize
}

fn in_arena(p: *mut u8) -> bool {
    (base()..base() + SIZE).contains(&(p as usize))
}

impl Arena {
    /// Takes `size` bytes aligned to `align` from the arena, or None when it is full.
    fn bump(size: usize, align: usize) -> Option<*mut u8> {
        let mut cur = NEXT.load(Relaxed);
        loop {
            let start = (base() + cur).next_multiple_of(align) - base();
            let end = start.checked_add(size)?;
            if end > SIZE {
                return None;
            }
            match NEXT.compare_exchange_weak(cur, end, Relaxed, Relaxed) {
                Ok(_) => return Some((base() + start) as *mut u8),
                Err(now) => cur = now,
            }
        }
    }
}

// SAFETY: every pointer returned is either a fresh, suitably aligned, unshared range
// of the arena or comes from `System`; `dealloc`/`realloc` route each pointer back to
// where it came from by its address.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        match Arena::bump(l.size(), l.align()) {
            Some(p) => p,
            // SAFETY: forwarded with the caller's valid layout.
            None => unsafe { System.alloc(l) },
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if !in_arena(p) {
            // SAFETY: `p` came from System.alloc with this layout.
            unsafe { System.dealloc(p, l) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        if !in_arena(p) {
            // SAFETY: `p` came from System with layout `l`.
            return unsafe { System.realloc(p, l, new_size) };
        }
        // The newest block grows (or shrinks) in place.
        let start = p as usize - base();
        if start + new_size <= SIZE
            && NEXT
                .compare_exchange(start + l.size(), start + new_size, Relaxed, Relaxed)
                .is_ok()
        {
            return p;
        }
        // SAFETY: the new layout has the old alignment and a non-zero size (GlobalAlloc
        // contract); the copy covers the bytes both blocks have.
        unsafe {
            let new = self.alloc(Layout::from_size_align_unchecked(new_size, l.align()));
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(p, new, l.size().min(new_size));
            }
            new
        }
    }
}
