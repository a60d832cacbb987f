//! The library's error type.

use core::fmt;

/// Everything that can go wrong in a splotnet op, layer or loader.
///
/// Shape errors only arise for sizes known at run time (`usize` dims): sizes
/// known at compile time are checked by the type system instead.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A runtime size does not satisfy an op's size rule.
    Shape {
        /// The op or layer that rejected the shape.
        op: &'static str,
        /// What is wrong, with the numbers.
        message: String,
    },
    /// The device (allocation, kernel launch) failed.
    Device(String),
    /// A data or checkpoint file is missing, unreadable or malformed.
    Data {
        /// The file.
        file: std::path::PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl Error {
    /// Wraps a device error (dfdx's `CpuError`, `CudaError`) for `?` in generated code.
    pub fn device(e: impl core::fmt::Debug) -> Self {
        Error::Device(format!("{e:?}"))
    }

    pub(crate) fn data(file: impl AsRef<std::path::Path>, message: impl Into<String>) -> Self {
        Error::Data {
            file: file.as_ref().to_path_buf(),
            message: message.into(),
        }
    }

    pub(crate) fn shape(op: &'static str, message: impl Into<String>) -> Self {
        Error::Shape {
            op,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape { op, message } => write!(f, "{op}: {message}"),
            Error::Device(message) => write!(f, "device error: {message}"),
            Error::Data { file, message } => write!(f, "{}: {message}", file.display()),
        }
    }
}

impl std::error::Error for Error {}

/// The error type of a device splotnet runs on (dfdx's `CpuError`, and
/// `CudaError` with the `cuda` feature). [`crate::ops::Backend`] requires
/// it of its device's errors, so `?` turns any of them into an [`Error`]
/// in device-generic code.
pub trait DeviceError: fmt::Debug {}

impl DeviceError for dfdx::tensor::CpuError {}

#[cfg(feature = "cuda")]
impl DeviceError for dfdx::tensor::CudaError {}

impl<E: DeviceError> From<E> for Error {
    fn from(e: E) -> Self {
        Error::Device(format!("{e:?}"))
    }
}

/// Shorthand for results of splotnet operations.
pub type Result<T, E = Error> = core::result::Result<T, E>;
