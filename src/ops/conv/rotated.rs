//! The input gradient at stride 1 as the lecture computes it: the output
//! error correlated with the kernel rotated 180° (and transposed per group),
//! padded by `D(K-1) - P`. It runs as a forward pass, whose GEMM has the long
//! inner dimension `C·K·K` and needs no col2im scatter.

use super::geom::{AxisGeom, ConvGeom};

/// The geometry of `dx = corr(pad(dy), rot180(w)ᵀ)`: stride 1, and padding
/// within the kernel's reach on both axes.
pub(super) fn geometry(g: &ConvGeom) -> Option<ConvGeom> {
    let axis = |a: &AxisGeom| -> Option<AxisGeom> {
        let reach = a.d * (a.k - 1);
        (a.s == 1 && a.p <= reach).then_some(AxisGeom {
            input: a.output,
            output: a.input,
            k: a.k,
            s: 1,
            p: reach - a.p,
            d: a.d,
        })
    };
    Some(ConvGeom {
        batch: g.batch,
        c_in: g.c_out,
        c_out: g.c_in,
        groups: g.groups,
        y: axis(&g.y)?,
        x: axis(&g.x)?,
        flipped: false,
        data_input: false,
    })
}

/// `w'[grp, ci, oc, ky, kx] = w[grp, oc, ci, K-1-ky, K-1-kx]`.
pub(super) fn kernel(g: &ConvGeom, w: &[f32]) -> Vec<f32> {
    let (og, cg, taps) = (g.group_out(), g.group_in(), g.taps());
    let mut r = vec![0.0f32; w.len()];
    for grp in 0..g.groups {
        for oc in 0..og {
            for ci in 0..cg {
                let src = &w[((grp * og + oc) * cg + ci) * taps..][..taps];
                let dst = &mut r[((grp * cg + ci) * og + oc) * taps..][..taps];
                for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
                    *d = *s;
                }
            }
        }
    }
    r
}
