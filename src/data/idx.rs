//! IDX file headers, validated before any loader trusts the file.

use std::path::Path;

use crate::Error;

/// What an IDX file holds, read from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdxKind {
    /// `0x00000803`: `count` images of `rows x cols` bytes.
    Images {
        /// Number of images.
        count: usize,
        /// Rows per image.
        rows: usize,
        /// Columns per image.
        cols: usize,
    },
    /// `0x00000801`: `count` label bytes.
    Labels {
        /// Number of labels.
        count: usize,
    },
}

impl IdxKind {
    /// Items in the file.
    pub fn count(&self) -> usize {
        match *self {
            IdxKind::Images { count, .. } | IdxKind::Labels { count } => count,
        }
    }

    fn header_len(&self) -> usize {
        match self {
            IdxKind::Images { .. } => 16,
            IdxKind::Labels { .. } => 8,
        }
    }

    fn body_len(&self) -> usize {
        match *self {
            IdxKind::Images { count, rows, cols } => count * rows * cols,
            IdxKind::Labels { count } => count,
        }
    }
}

fn be_u32(b: &[u8]) -> usize {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
}

/// Parses and checks a header against the file's total length.
///
/// `expect_images` says which kind the file's name promises.
pub fn validate(
    file: &Path,
    head: &[u8],
    total_len: usize,
    expect_images: bool,
) -> Result<IdxKind, Error> {
    let bad = |m: String| Error::data(file, m);
    if head.len() < 8 {
        return Err(bad(format!(
            "file too short for an IDX header ({} bytes)",
            head.len()
        )));
    }
    let kind = match be_u32(&head[0..4]) {
        0x0803 => {
            if head.len() < 16 {
                return Err(bad(format!("file too short for an image header ({} bytes)", head.len())));
            }
            IdxKind::Images {
                count: be_u32(&head[4..8]),
                rows: be_u32(&head[8..12]),
                cols: be_u32(&head[12..16]),
            }
        }
        0x0801 => IdxKind::Labels { count: be_u32(&head[4..8]) },
        magic => {
            return Err(bad(format!(
                "magic number {magic:#010x} is neither images (0x00000803) nor labels (0x00000801): not an IDX file, or still compressed"
            )))
        }
    };
    if expect_images != matches!(kind, IdxKind::Images { .. }) {
        let (want, got) = if expect_images {
            ("images", "labels")
        } else {
            ("labels", "images")
        };
        return Err(bad(format!("expected {want}, the header says {got}")));
    }
    if let IdxKind::Images { rows, cols, .. } = kind {
        if (rows, cols) != (28, 28) {
            return Err(bad(format!("images are {rows}x{cols}, MNIST's are 28x28")));
        }
    }
    let expected = kind.header_len() + kind.body_len();
    if total_len != expected {
        return Err(bad(format!(
            "{} bytes, but the header promises {} items = {expected} bytes{}",
            total_len,
            kind.count(),
            if total_len < expected {
                " (truncated)"
            } else {
                ""
            }
        )));
    }
    Ok(kind)
}
