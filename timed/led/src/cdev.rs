//! Linux GPIO character device backend: one output line requested through `/dev/gpiochipN`
//! (uAPI v2, Linux 5.10+) with the `gpiocdev` crate, exposed as an embedded-hal `OutputPin`.
//!
//! Why the chardev and not `/sys/class/gpio`: the sysfs interface is deprecated
//! (Documentation/ABI/obsolete/sysfs-gpio) and its global line numbers are not stable (recent
//! Raspberry Pi kernels moved the SoC chip's base to 512). The chardev also releases the line
//! when timed exits, whatever the way it exits.

use embedded_hal::digital::{ErrorKind, ErrorType, OutputPin};
use gpiocdev::line::Value;
use gpiocdev::Request;
use std::fmt;
use std::path::{Path, PathBuf};

/// Which line to drive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A line name as the kernel's device tree gives it (Raspberry Pi: "GPIO17"), searched on
    /// every chip.
    Named(String),
    /// A line name on one chip.
    NamedOn(PathBuf, String),
    /// An offset on one chip.
    Offset(PathBuf, u32),
}

impl Line {
    /// From configuration: `chip` may be empty (search all chips, by name); `line` is a name, or
    /// a decimal offset when a chip is given.
    pub fn parse(chip: &Path, line: &str) -> Line {
        if chip.as_os_str().is_empty() {
            return Line::Named(line.to_string());
        }
        match line.parse::<u32>() {
            Ok(offset) => Line::Offset(chip.to_path_buf(), offset),
            Err(_) => Line::NamedOn(chip.to_path_buf(), line.to_string()),
        }
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Line::Named(n) => write!(f, "GPIO line {n:?}"),
            Line::NamedOn(c, n) => write!(f, "GPIO line {n:?} on {}", c.display()),
            Line::Offset(c, o) => write!(f, "GPIO line {o} on {}", c.display()),
        }
    }
}

/// A failure, naming the line and what was being done.
#[derive(Debug)]
pub struct CdevError {
    pub line: String,
    pub message: String,
}

impl fmt::Display for CdevError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for CdevError {}

impl embedded_hal::digital::Error for CdevError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// A requested output line. Dropping it releases the line (the kernel keeps its last level).
#[derive(Debug)]
pub struct CdevPin {
    req: Request,
    offset: u32,
    name: String,
}

impl CdevPin {
    /// Requests `line` as an output, initially inactive (dark). `active_low`: the LED lights
    /// when the pin is driven low (LED wired from 3V3 to the pin); the kernel inverts, so
    /// "high" still means "lit" to the caller. `consumer` is shown by `gpioinfo`.
    pub fn request(line: &Line, active_low: bool, consumer: &str) -> Result<CdevPin, CdevError> {
        let err = |message: String| CdevError { line: line.to_string(), message };
        let (chip, offset) = match line {
            Line::Named(name) => {
                let found = gpiocdev::find_named_line(name).ok_or_else(|| {
                    err("no GPIO chip has a line of that name (list them with `gpioinfo`)".into())
                })?;
                (found.chip, found.info.offset)
            }
            Line::NamedOn(chip, name) => {
                let c = gpiocdev::chip::Chip::from_path(chip).map_err(|e| err(e.to_string()))?;
                let info = c.find_line_info(name).ok_or_else(|| err("the chip has no such line".into()))?;
                (chip.clone(), info.offset)
            }
            Line::Offset(chip, offset) => (chip.clone(), *offset),
        };
        let mut b = Request::builder();
        b.on_chip(&chip).with_consumer(consumer).with_line(offset).as_output(Value::Inactive);
        if active_low {
            b.as_active_low();
        }
        let req = b.request().map_err(|e| err(format!("cannot request it: {e}")))?;
        Ok(CdevPin { req, offset, name: line.to_string() })
    }

    fn write(&mut self, v: Value) -> Result<(), CdevError> {
        self.req
            .set_value(self.offset, v)
            .map_err(|e| CdevError { line: self.name.clone(), message: format!("cannot set it: {e}") })
    }
}

impl ErrorType for CdevPin {
    type Error = CdevError;
}

impl OutputPin for CdevPin {
    fn set_low(&mut self) -> Result<(), CdevError> {
        self.write(Value::Inactive)
    }

    fn set_high(&mut self) -> Result<(), CdevError> {
        self.write(Value::Active)
    }
}
