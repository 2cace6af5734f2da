//! The Linux RFC 2783 PPS API (`/dev/ppsN`): the structs and ioctls of the kernel's
//! `include/uapi/linux/pps.h`, wrapped in a small safe API.
//!
//! This is one of the two places in the daemon allowed to use `unsafe` (the other is the SysV SHM
//! attach): every `unsafe` block is one `ioctl(2)` on a descriptor we own, with a pointer to a
//! properly sized, initialised `repr(C)` value that lives across the call.
//!
//! See linux/Documentation/driver-api/pps.rst for the user-space API this implements.
#![expect(
    unsafe_code,
    reason = "the PPS ioctls: each unsafe block is one ioctl(2) on a descriptor we own (see above)"
)]

use std::fmt;
use std::fs::File;
use std::fs::OpenOptions;
use std::io;
use std::marker::PhantomData;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `struct pps_ktime` (uapi/linux/pps.h): a timestamp or a timeout.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PpsKtime {
    sec: i64,
    nsec: i32,
    flags: u32,
}

/// `struct pps_kinfo`: the last assert and clear events and the current mode.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PpsKinfo {
    assert_sequence: u32,
    clear_sequence: u32,
    assert_tu: PpsKtime,
    clear_tu: PpsKtime,
    current_mode: i32,
}

/// `struct pps_kparams`: the settable parameters (mode bits and offset compensation).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PpsKparams {
    api_version: i32,
    mode: i32,
    assert_off_tu: PpsKtime,
    clear_off_tu: PpsKtime,
}

/// `struct pps_fdata`: PPS_FETCH's in/out argument (timeout in, event info out).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PpsFdata {
    info: PpsKinfo,
    timeout: PpsKtime,
}

/// `PPS_TIME_INVALID`: in a FETCH timeout it means "no timeout, wait forever" (RFC 2783's NULL
/// timeout pointer). [`PpsDevice::fetch`] always passes a finite timeout (flags 0).
pub const PPS_TIME_INVALID: u32 = 1 << 0;

/// Mode bits (uapi/linux/pps.h).
pub const PPS_CAPTUREASSERT: i32 = 0x01;
pub const PPS_CAPTURECLEAR: i32 = 0x02;
pub const PPS_OFFSETASSERT: i32 = 0x10;
pub const PPS_OFFSETCLEAR: i32 = 0x20;
pub const PPS_ECHOASSERT: i32 = 0x40;
pub const PPS_ECHOCLEAR: i32 = 0x80;
pub const PPS_CANWAIT: i32 = 0x100;
pub const PPS_CANPOLL: i32 = 0x200;
pub const PPS_TSFMT_TSPEC: i32 = 0x1000;
pub const PPS_TSFMT_NTPFP: i32 = 0x2000;

// ioctl request encoding (<asm-generic/ioctl.h>, and the variant used by powerpc, mips and
// sparc). The PPS ioctls are declared with a *pointer* type as the size argument
// (`_IOR('p', 0xa1, struct pps_kparams *)`), so the encoded size is the pointer size: 8 on
// 64-bit, 4 on 32-bit ARM. Deriving it here rather than hard-coding the 64-bit numbers keeps
// 32-bit Raspberry Pi OS right.
mod ioc {
    /// powerpc, mips and sparc use 13 size bits and other direction codes.
    const ALT: bool = cfg!(any(
        target_arch = "powerpc",
        target_arch = "powerpc64",
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "sparc64"
    ));
    pub const SIZEBITS: u32 = if ALT { 13 } else { 14 };
    pub const READ: u32 = 2;
    pub const WRITE: u32 = if ALT { 4 } else { 1 };
}

/// `_IOC(dir, type, nr, size)`: nr in bits 0–7, type in 8–15, size from bit 16, dir above it.
const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << (16 + ioc::SIZEBITS)) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32
}

const PTR: usize = std::mem::size_of::<*const u8>();
const PPS_GETPARAMS: u32 = ioc(ioc::READ, b'p', 0xa1, PTR);
const PPS_SETPARAMS: u32 = ioc(ioc::WRITE, b'p', 0xa2, PTR);
const PPS_GETCAP: u32 = ioc(ioc::READ, b'p', 0xa3, PTR);
const PPS_FETCH: u32 = ioc(ioc::READ | ioc::WRITE, b'p', 0xa4, PTR);

// The layout of uapi/linux/pps.h as the kernel sees it (sizes and numbers also measured with C on
// x86_64). On 32-bit ARM (EABI aligns i64 to 8) the sizes are the same; only the ioctl numbers
// differ. (i386 would be different — i64 aligned to 4 — and is not a target for timed.)
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<PpsKtime>() == 16);
    assert!(std::mem::size_of::<PpsKinfo>() == 48);
    assert!(std::mem::size_of::<PpsKparams>() == 40);
    assert!(std::mem::size_of::<PpsFdata>() == 64);
};
#[cfg(all(
    target_pointer_width = "64",
    any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64")
))]
const _: () = {
    assert!(PPS_GETPARAMS == 0x800870a1);
    assert!(PPS_SETPARAMS == 0x400870a2);
    assert!(PPS_GETCAP == 0x800870a3);
    assert!(PPS_FETCH == 0xc00870a4);
};
#[cfg(target_arch = "arm")]
const _: () = {
    assert!(std::mem::size_of::<PpsKinfo>() == 48);
    assert!(std::mem::size_of::<PpsFdata>() == 64);
    assert!(PPS_GETPARAMS == 0x800470a1);
    assert!(PPS_SETPARAMS == 0x400470a2);
    assert!(PPS_GETCAP == 0x800470a3);
    assert!(PPS_FETCH == 0xc00470a4);
};

/// An ioctl request code tied to the type of its argument, so a call cannot pair a code with
/// the wrong struct.
struct Request<T> {
    code: u32,
    name: &'static str,
    arg: PhantomData<fn(&mut T)>,
}

impl<T> Clone for Request<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Request<T> {}

const GETPARAMS: Request<PpsKparams> =
    Request { code: PPS_GETPARAMS, name: "PPS_GETPARAMS", arg: PhantomData };
const SETPARAMS: Request<PpsKparams> =
    Request { code: PPS_SETPARAMS, name: "PPS_SETPARAMS", arg: PhantomData };
const GETCAP: Request<i32> = Request { code: PPS_GETCAP, name: "PPS_GETCAP", arg: PhantomData };
const FETCH: Request<PpsFdata> = Request { code: PPS_FETCH, name: "PPS_FETCH", arg: PhantomData };

/// What went wrong, as far as the operator can act on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PpsErrorKind {
    /// The device node does not exist (or has no driver behind it).
    Missing,
    /// Opening the node was refused by its permissions.
    PermissionDenied,
    /// PPS_SETPARAMS was refused: the kernel demands CAP_SYS_TIME for it.
    NeedCapSysTime,
    /// The path is not a PPS device (the kernel rejected the RFC 2783 ioctl).
    NotPps,
    /// The device cannot capture assert edges at all.
    NoAssertCapability,
    /// The device went away while open (unplugged, driver unbound).
    Gone,
    /// The path now names a different device node than the one open (it was re-created).
    Replaced,
    /// Anything else.
    Io,
}

/// An error from the PPS device, naming the device and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PpsError {
    path: PathBuf,
    op: &'static str,
    errno: Option<i32>,
    kind: PpsErrorKind,
}

impl PpsError {
    /// Classifies `errno` from operation `op` (e.g. "open", "PPS_FETCH") on `path`.
    pub fn from_errno(path: &Path, op: &'static str, errno: i32) -> PpsError {
        let kind = match (op, errno) {
            ("open", libc::ENOENT | libc::ENXIO | libc::ENODEV) => PpsErrorKind::Missing,
            ("open", libc::EACCES | libc::EPERM | libc::EROFS) => PpsErrorKind::PermissionDenied,
            ("PPS_SETPARAMS", libc::EPERM | libc::EACCES) => PpsErrorKind::NeedCapSysTime,
            // ENOTTY: the driver has no such ioctl (a tty, /dev/null, a regular file...).
            (_, libc::ENOTTY) => PpsErrorKind::NotPps,
            (_, libc::ENODEV | libc::ENXIO | libc::EIO | libc::EBADF) => PpsErrorKind::Gone,
            _ => PpsErrorKind::Io,
        };
        PpsError { path: path.to_path_buf(), op, errno: Some(errno), kind }
    }

    fn new(path: &Path, op: &'static str, kind: PpsErrorKind) -> PpsError {
        PpsError { path: path.to_path_buf(), op, errno: None, kind }
    }

    pub fn kind(&self) -> PpsErrorKind {
        self.kind
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw OS error, if there was one.
    pub fn errno(&self) -> Option<i32> {
        self.errno
    }

    fn hint(&self) -> &'static str {
        match self.kind {
            PpsErrorKind::Missing => {
                "no such PPS device: is the pps-gpio overlay loaded (dtoverlay=pps-gpio,gpiopin=N) \
                 / is the device wired? `ls /dev/pps*` lists the PPS devices the kernel has"
            }
            PpsErrorKind::PermissionDenied => {
                "timed needs read access: add the user to the group owning the device (udev rule, \
                 e.g. KERNEL==\"pps[0-9]*\", GROUP=\"timed\", MODE=\"0660\")"
            }
            PpsErrorKind::NeedCapSysTime => {
                "enabling assert capture (PPS_SETPARAMS) needs the CAP_SYS_TIME capability: grant it \
                 to timed (systemd AmbientCapabilities=CAP_SYS_TIME) or run it as root"
            }
            PpsErrorKind::NotPps => {
                "not a PPS device: the kernel rejected the RFC 2783 ioctl (expected /dev/ppsN)"
            }
            PpsErrorKind::NoAssertCapability => "the PPS device cannot capture assert edges",
            PpsErrorKind::Gone => "the PPS device went away (driver unloaded or device unplugged)",
            PpsErrorKind::Replaced => "the device node was re-created (driver reloaded): reopening it",
            PpsErrorKind::Io => "unexpected error from the PPS device",
        }
    }
}

impl fmt::Display for PpsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.op)?;
        if let Some(e) = self.errno {
            write!(f, " failed: {}", io::Error::from_raw_os_error(e))?;
        }
        write!(f, ": {}", self.hint())
    }
}

impl std::error::Error for PpsError {}

/// One PPS_FETCH result: the most recent assert and clear events, CLOCK_REALTIME ns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelEdge {
    pub assert_seq: u32,
    pub assert_ns: i64,
    pub clear_seq: u32,
    pub clear_ns: i64,
}

fn ktime_ns(t: PpsKtime) -> i64 {
    t.sec.saturating_mul(1_000_000_000).saturating_add(i64::from(t.nsec))
}

/// An open `/dev/ppsN`.
#[derive(Debug)]
pub struct PpsDevice {
    /// The descriptor (a `File` only for its safe `fstat`; no reads or writes are made on it).
    fd: File,
    path: PathBuf,
}

impl PpsDevice {
    /// Opens `path` and checks that it is a PPS device (PPS_GETCAP answers).
    ///
    /// Read-write first: the kernel checks CAP_SYS_TIME rather than the open mode for
    /// PPS_SETPARAMS today, but a read-only descriptor is not something to rely on for a
    /// "set" call; a node we may only read is still fine for fetching, so fall back to that.
    pub fn open(path: &Path) -> Result<PpsDevice, PpsError> {
        let open = |write: bool| {
            OpenOptions::new()
                .read(true)
                .write(write)
                .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
                .open(path)
        };
        let file = match open(true) {
            Ok(f) => f,
            Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM | libc::EROFS)) => {
                open(false).map_err(|e| Self::io_error(path, "open", &e))?
            }
            Err(e) => return Err(Self::io_error(path, "open", &e)),
        };
        let dev = PpsDevice { fd: file, path: path.to_path_buf() };
        dev.capabilities()?;
        Ok(dev)
    }

    fn io_error(path: &Path, op: &'static str, e: &io::Error) -> PpsError {
        PpsError::from_errno(path, op, e.raw_os_error().unwrap_or(libc::EIO))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One ioctl; EINTR is reported to the caller.
    fn ioctl<T>(&self, req: Request<T>, arg: &mut T) -> Result<(), i32> {
        // SAFETY: `self.fd` is an open descriptor we own for the duration of the call, and `arg`
        // points to a live, initialised repr(C) value of exactly the type the kernel copies in or
        // out for `req.code` (a `Request<T>` only exists for the pairs declared in
        // uapi/linux/pps.h, below); the kernel does not keep the pointer after returning.
        let rc = unsafe { libc::ioctl(self.fd.as_raw_fd(), req.code as libc::Ioctl, arg as *mut T) };
        if rc < 0 {
            Err(io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO))
        } else {
            Ok(())
        }
    }

    fn ioctl_retry<T>(&self, req: Request<T>, arg: &mut T) -> Result<(), PpsError> {
        loop {
            match self.ioctl(req, arg) {
                Err(libc::EINTR) => continue,
                Err(e) => return Err(PpsError::from_errno(&self.path, req.name, e)),
                Ok(()) => return Ok(()),
            }
        }
    }

    /// Checks that `path` still names the device we have open.
    ///
    /// Needed because the kernel does not fail PPS_FETCH on a source that was unregistered while
    /// open: measured on Debian's 6.1 kernel (tests/qemu-pps), `rmmod pps_parport` removes
    /// /dev/pps0 but FETCH on the old descriptor just keeps timing out, so a reader that only
    /// waited for ENODEV would never reopen the device when it comes back. A recreated node is a
    /// new inode, so comparing device, inode and device number catches a quick re-create too.
    pub fn check_present(&self) -> Result<(), PpsError> {
        const OP: &str = "device node check";
        let now = std::fs::metadata(&self.path).map_err(|e| {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            PpsError { path: self.path.clone(), op: OP, errno: Some(errno), kind: PpsErrorKind::Gone }
        })?;
        let open = self.fd.metadata().map_err(|e| Self::io_error(&self.path, OP, &e))?;
        if (now.dev(), now.ino(), now.rdev()) != (open.dev(), open.ino(), open.rdev()) {
            return Err(PpsError::new(&self.path, OP, PpsErrorKind::Replaced));
        }
        Ok(())
    }

    /// PPS_GETCAP: the mode bits the device supports (PPS_CAPTUREASSERT, PPS_CANWAIT, ...).
    pub fn capabilities(&self) -> Result<i32, PpsError> {
        let mut caps: i32 = 0;
        self.ioctl_retry(GETCAP, &mut caps)?;
        Ok(caps)
    }

    /// Ensures the device captures assert edges.
    ///
    /// Reads the parameters first and leaves them alone when assert capture is already on: the
    /// parameters are per device, not per reader, so rewriting them would clobber what another
    /// consumer (chrony's PPS refclock, gpsd) configured. Only otherwise does it add
    /// PPS_CAPTUREASSERT to the existing mode, which needs CAP_SYS_TIME.
    pub fn ensure_assert_capture(&self) -> Result<(), PpsError> {
        let mut params = PpsKparams::default();
        self.ioctl_retry(GETPARAMS, &mut params)?;
        if params.mode & PPS_CAPTUREASSERT != 0 {
            return Ok(());
        }
        let caps = self.capabilities()?;
        if caps & PPS_CAPTUREASSERT == 0 {
            return Err(PpsError::new(&self.path, "PPS_SETPARAMS", PpsErrorKind::NoAssertCapability));
        }
        // The kernel rejects (EINVAL) any mode bit the device does not support; GETPARAMS may
        // report bits it adds itself (PPS_CANWAIT), so keep only the supported ones.
        params.mode = (params.mode | PPS_CAPTUREASSERT) & caps;
        self.ioctl_retry(SETPARAMS, &mut params)
    }

    /// PPS_FETCH: waits up to `timeout` for the next event — assert *or* clear, so callers must
    /// compare sequence numbers — and returns the latest assert and clear data.
    ///
    /// `Ok(None)` on timeout (ETIMEDOUT). The kernel converts the timeout to scheduler ticks and a
    /// timeout shorter than one tick (e.g. `Duration::ZERO`) does not wait at all: it returns the
    /// current data at once, which is how a reader learns the sequence numbers before waiting.
    /// (A timeout with PPS_TIME_INVALID set would wait forever; we never ask for that, so a
    /// reader thread always gets back to check its stop flag.) EINTR is retried with the time
    /// left. Device loss (ENODEV, EIO, ...) is an error of kind [`PpsErrorKind::Gone`].
    pub fn fetch(&self, timeout: Duration) -> Result<Option<KernelEdge>, PpsError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut left = timeout;
        loop {
            let mut fdata = PpsFdata {
                timeout: PpsKtime {
                    sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
                    nsec: i32::try_from(left.subsec_nanos()).unwrap_or(0),
                    flags: 0,
                },
                ..PpsFdata::default()
            };
            match self.ioctl(FETCH, &mut fdata) {
                Ok(()) => {
                    let i = fdata.info;
                    return Ok(Some(KernelEdge {
                        assert_seq: i.assert_sequence,
                        assert_ns: ktime_ns(i.assert_tu),
                        clear_seq: i.clear_sequence,
                        clear_ns: ktime_ns(i.clear_tu),
                    }));
                }
                Err(libc::ETIMEDOUT) => return Ok(None),
                Err(libc::EINTR) => {
                    left = match deadline {
                        Some(d) => d.saturating_duration_since(Instant::now()),
                        None => timeout,
                    };
                    if left.is_zero() && !timeout.is_zero() {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(PpsError::from_errno(&self.path, FETCH.name, e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "arm"))]
    fn ioctl_numbers_follow_pointer_size() {
        // 32-bit ARM: size field 4.
        assert_eq!(ioc(ioc::READ, b'p', 0xa1, 4), 0x800470a1);
        assert_eq!(ioc(ioc::READ | ioc::WRITE, b'p', 0xa4, 4), 0xc00470a4);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            [PPS_GETPARAMS, PPS_SETPARAMS, PPS_GETCAP, PPS_FETCH],
            [0x800870a1, 0x400870a2, 0x800870a3, 0xc00870a4]
        );
    }

    #[test]
    fn missing_device_names_path_and_hint() {
        let p = Path::new("/nonexistent/pps7");
        let e = PpsDevice::open(p).err();
        let e = e.as_ref().map(|e| (e.kind(), e.to_string()));
        let (kind, msg) = e.unwrap_or((PpsErrorKind::Io, String::new()));
        assert_eq!(kind, PpsErrorKind::Missing);
        assert!(msg.contains("/nonexistent/pps7"), "{msg}");
        assert!(msg.contains("is the pps-gpio overlay loaded"), "{msg}");
        assert!(msg.contains("is the device wired?"), "{msg}");
    }

    #[test]
    fn dev_null_is_not_a_pps_device() {
        let e = PpsDevice::open(Path::new("/dev/null")).err();
        let (kind, msg) = e.map(|e| (e.kind(), e.to_string())).unwrap_or((PpsErrorKind::Io, String::new()));
        assert_eq!(kind, PpsErrorKind::NotPps);
        assert!(msg.starts_with("/dev/null: PPS_GETCAP failed"), "{msg}");
        assert!(msg.contains("not a PPS device"), "{msg}");
    }

    #[test]
    fn permission_and_capability_hints() {
        let p = Path::new("/dev/pps0");
        let e = PpsError::from_errno(p, "open", libc::EACCES);
        assert_eq!(e.kind(), PpsErrorKind::PermissionDenied);
        assert!(e
            .to_string()
            .contains("timed needs read access: add the user to the group owning the device"));
        let e = PpsError::from_errno(p, "PPS_SETPARAMS", libc::EPERM);
        assert_eq!(e.kind(), PpsErrorKind::NeedCapSysTime);
        let msg = e.to_string();
        assert!(msg.starts_with("/dev/pps0: PPS_SETPARAMS failed"), "{msg}");
        assert!(msg.contains("CAP_SYS_TIME"), "{msg}");
        assert_eq!(PpsError::from_errno(p, "PPS_FETCH", libc::ENODEV).kind(), PpsErrorKind::Gone);
        assert_eq!(PpsError::from_errno(p, "PPS_FETCH", libc::EIO).kind(), PpsErrorKind::Gone);
    }

    #[test]
    fn timestamps_to_ns() {
        assert_eq!(ktime_ns(PpsKtime { sec: 1_700_000_000, nsec: 5, flags: 0 }), 1_700_000_000_000_000_005);
        assert_eq!(ktime_ns(PpsKtime { sec: i64::MAX, nsec: 0, flags: 0 }), i64::MAX);
    }
}
