//! PPS input: the kernel RFC 2783 API (`kernel`, the only module with `unsafe` besides the SysV
//! SHM attach) read on a blocking thread (`reader`), and simulated edges from `timed-sim`.

#[expect(
    unsafe_code,
    reason = "the RFC 2783 PPS ioctls have no safe wrapper in std or rustix; kept to this module \
              so the rest of the daemon stays safe (docs/architecture.md)"
)]
pub mod kernel;
pub mod reader;
