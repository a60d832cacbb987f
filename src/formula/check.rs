//! Messages built at compile time, with numbers in them.
//!
//! A generic block whose channel counts divide (`conv(C / 4, ..)`) can be
//! used only where the division is whole. `network!` checks each use in a
//! `const` item, which rustc evaluates during `cargo check`; a failed check
//! panics there with a message naming the use and the numbers:
//! *"b1: block `Bottleneck` at 6 input channels: `C / 4` = 6 / 4 is not
//! whole"*. Const code cannot format, so this builds the text by hand.

/// A message of at most 512 bytes; empty means the check passed.
pub struct SizeCheck {
    buf: [u8; 512],
    len: usize,
}

impl SizeCheck {
    /// A passed check.
    pub const fn ok() -> Self {
        SizeCheck {
            buf: [0; 512],
            len: 0,
        }
    }

    /// Whether nothing failed.
    pub const fn is_ok(&self) -> bool {
        self.len == 0
    }

    /// `self` followed by `s` (cut at the buffer's end).
    pub const fn text(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && self.len < self.buf.len() {
            self.buf[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// `self` followed by `n` in decimal.
    pub const fn num(mut self, mut n: u64) -> Self {
        let mut digits = [0u8; 20];
        let mut k = 0;
        loop {
            digits[k] = b'0' + (n % 10) as u8;
            k += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while k > 0 && self.len < self.buf.len() {
            k -= 1;
            self.buf[self.len] = digits[k];
            self.len += 1;
        }
        self
    }

    /// The first failure of `self` and `other`.
    pub const fn and(self, other: SizeCheck) -> Self {
        if self.is_ok() {
            other
        } else {
            self
        }
    }

    /// The message so far.
    pub const fn as_str(&self) -> &str {
        let (bytes, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            // only whole `&str`s are copied in, and a cut inside a
            // character is at most a missing tail
            Err(e) => match core::str::from_utf8(bytes.split_at(e.valid_up_to()).0) {
                Ok(s) => s,
                Err(_) => "",
            },
        }
    }

    /// Panics with the message if a check failed; in a `const` item this
    /// is a compile error.
    pub const fn assert(self) {
        if !self.is_ok() {
            panic!("{}", self.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: SizeCheck = SizeCheck::ok()
        .text("b1: `C / 4` = ")
        .num(6)
        .text(" / 4 is not whole");

    #[test]
    fn messages_carry_their_numbers() {
        assert_eq!(FAILED.as_str(), "b1: `C / 4` = 6 / 4 is not whole");
        assert!(SizeCheck::ok().is_ok());
        assert!(!SizeCheck::ok().and(FAILED).is_ok());
        assert_eq!(
            SizeCheck::ok().num(0).num(18446744073709551615).as_str(),
            "018446744073709551615"
        );
    }

    #[test]
    #[should_panic(expected = "is not whole")]
    fn a_failed_check_panics_with_its_message() {
        FAILED.assert();
    }

    #[test]
    fn long_messages_are_cut_not_broken() {
        // 1 + 2·300 bytes: the buffer ends inside the 256th "é"
        let mut m = SizeCheck::ok().text("x");
        for _ in 0..300 {
            m = m.text("é");
        }
        assert_eq!(m.as_str().chars().count(), 1 + 255);
    }
}
