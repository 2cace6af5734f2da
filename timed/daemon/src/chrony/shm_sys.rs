//! The System V shared-memory calls behind the NTP SHM sink: the daemon's only `unsafe` outside
//! the kernel PPS ioctls, kept to attach, volatile stores and detach.
#![expect(
    unsafe_code,
    reason = "shmat, volatile stores to the attached segment and shmdt have no safe wrapper"
)]

use std::io;

/// An attached SysV segment of at least `size` bytes.
pub struct Segment {
    ptr: *mut u8,
    size: usize,
}

impl Segment {
    /// Attaches segment `key`, creating it with `mode` if it does not exist (chrony normally
    /// creates it first, 0600).
    pub fn attach(key: i32, size: usize, mode: u32) -> io::Result<Segment> {
        // SAFETY: shmget only takes integers.
        let mut id = unsafe { libc::shmget(key, size, 0) };
        if id < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENOENT) {
            // SAFETY: as above.
            id = unsafe { libc::shmget(key, size, libc::IPC_CREAT | (mode & 0o777) as i32) };
        }
        if id < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a null address lets the kernel choose; flags 0 attach read-write.
        let p = unsafe { libc::shmat(id, std::ptr::null(), 0) };
        if p as isize == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(Segment { ptr: p.cast::<u8>(), size })
    }

    /// Stores `bytes` at `offset` with volatile byte-wise writes: another process reads the
    /// segment concurrently, and the compiler must neither elide nor reorder these stores across
    /// the fences the caller places.
    pub fn store(&mut self, offset: usize, bytes: &[u8]) {
        if offset.checked_add(bytes.len()).is_none_or(|end| end > self.size) {
            return;
        }
        for (i, b) in bytes.iter().enumerate() {
            // SAFETY: offset + i < size, inside the attached mapping (checked above).
            unsafe { self.ptr.add(offset + i).write_volatile(*b) };
        }
    }

    /// Loads 4 bytes at `offset` (for the count field).
    pub fn load4(&self, offset: usize) -> [u8; 4] {
        let mut out = [0u8; 4];
        if offset + 4 <= self.size {
            for (i, o) in out.iter_mut().enumerate() {
                // SAFETY: offset + i < size, inside the attached mapping.
                *o = unsafe { self.ptr.add(offset + i).read_volatile() };
            }
        }
        out
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: ptr came from a successful shmat and is detached once.
        unsafe {
            libc::shmdt(self.ptr.cast::<libc::c_void>());
        }
    }
}
