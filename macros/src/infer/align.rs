//! Where a layer's outputs sit on the input image: output `i` of an axis
//! is centred on input coordinate `c + j·i` (Caffe's `coord_map`, which
//! gives FCN its crop offsets). A window layer moves the centre by
//! `j·((k-1)·d/2 - p)` and multiplies `j` by its stride; a transposed
//! convolution divides `j` by its stride and moves the centre back.
//! A crop moves the first output's centre by `j·offset`. Layers whose
//! outputs do not map to one point (unpooling, pooling to a
//! fixed size, flattening, blocks) end the tracking.

use crate::ir::{Op, Step, Window};

/// A rational number `n / d` with `d > 0`, in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Q(i64, i64);

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs().max(1)
    } else {
        gcd(b, a % b)
    }
}

impl Q {
    pub const ZERO: Q = Q(0, 1);
    pub const ONE: Q = Q(1, 1);

    pub fn new(n: i64, d: i64) -> Q {
        let g = gcd(n, d) * d.signum();
        Q(n / g, d / g)
    }
    fn add(self, o: Q) -> Q {
        Q::new(self.0 * o.1 + o.0 * self.1, self.1 * o.1)
    }
    fn sub(self, o: Q) -> Q {
        self.add(Q(-o.0, o.1))
    }
    fn mul(self, o: Q) -> Q {
        Q::new(self.0 * o.0, self.1 * o.1)
    }
    fn div(self, o: Q) -> Q {
        Q::new(self.0 * o.1, self.1 * o.0)
    }
    /// The whole number this is, if it is one.
    pub fn whole(self) -> Option<i64> {
        (self.1 == 1).then_some(self.0)
    }
}

impl std::fmt::Display for Q {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            1 => write!(f, "{}", self.0),
            d => write!(f, "{}/{d}", self.0),
        }
    }
}

/// Per axis `(y, x)`: the first output's centre and the distance between
/// neighbouring outputs, in input pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Align {
    pub c: (Q, Q),
    pub j: (Q, Q),
}

impl Align {
    pub const INPUT: Align = Align {
        c: (Q::ZERO, Q::ZERO),
        j: (Q::ONE, Q::ONE),
    };

    /// The offset (in the current maps' pixels) at which `target`'s
    /// outputs line up with these, per axis: `(c_target - c) / j`, when
    /// both have the same spacing.
    pub fn offset_to(&self, target: &Align) -> Result<(Q, Q), String> {
        if self.j != target.j {
            return Err(format!(
                "their outputs are {}x{} and {}x{} input pixels apart, so no crop lines them up",
                self.j.0, self.j.1, target.j.0, target.j.1
            ));
        }
        Ok((
            target.c.0.sub(self.c.0).div(self.j.0),
            target.c.1.sub(self.c.1).div(self.j.1),
        ))
    }
}

/// `(k-1)·d/2 - p` of one axis of a window.
fn shift(k: u64, d: u64, p: u64) -> Q {
    Q::new((k as i64 - 1) * d as i64, 2).sub(Q::new(p as i64, 1))
}

fn through_window(a: Align, w: &Window) -> Align {
    let s = |n: u64| Q::new(n as i64, 1);
    Align {
        c: (
            a.c.0.add(a.j.0.mul(shift(w.k.0, w.d.0, w.p.0))),
            a.c.1.add(a.j.1.mul(shift(w.k.1, w.d.1, w.p.1))),
        ),
        j: (a.j.0.mul(s(w.s.0)), a.j.1.mul(s(w.s.1))),
    }
}

fn through_transposed(a: Align, w: &Window) -> Align {
    let s = |n: u64| Q::new(n as i64, 1);
    let j = (a.j.0.div(s(w.s.0)), a.j.1.div(s(w.s.1)));
    Align {
        c: (
            a.c.0.sub(j.0.mul(shift(w.k.0, w.d.0, w.p.0))),
            a.c.1.sub(j.1.mul(shift(w.k.1, w.d.1, w.p.1))),
        ),
        j,
    }
}

/// The alignment after `step`, given the one before it.
pub fn after(step: &Step, before: Option<Align>) -> Option<Align> {
    let a = before?;
    match &step.op {
        Op::Conv { win, .. } | Op::Pool { win, .. } => Some(through_window(a, win)),
        Op::Subsample { k, .. } => Some(through_window(
            a,
            &Window {
                k: (*k, *k),
                s: (*k, *k),
                p: (0, 0),
                d: (1, 1),
                round: splotnet_sizes::Round::Floor,
            },
        )),
        Op::ConvTranspose { win, .. } => Some(through_transposed(a, win)),
        // the main path's outputs stay where they were
        Op::Act(_) | Op::Dropout(_) | Op::Lrn { .. } | Op::BatchNorm { .. } | Op::Skip { .. } => {
            Some(a)
        }
        // the first kept output is the one `offset` in
        Op::Crop { offset, .. } => Some(Align {
            c: (
                a.c.0.add(a.j.0.mul(Q::new(offset.0 as i64, 1))),
                a.c.1.add(a.j.1.mul(Q::new(offset.1 as i64, 1))),
            ),
            j: a.j,
        }),
        _ => None,
    }
}
