//! PPS input: the kernel RFC 2783 API (`kernel`, the only module with `unsafe` besides the SysV
//! SHM attach) read on a blocking thread (`reader`), and simulated edges from `timed-sim`.

pub mod kernel;
pub mod reader;
