//! Skip connections: an earlier layer's maps joined to the current ones,
//! centre-cropped to their size first (U-Net's copy and crop, FCN's score
//! fusion). Whether the crop is possible is a trait bound ([`CropsTo`]),
//! so for static sizes a skip that is smaller than, or an odd number of
//! rows larger than, the current maps does not compile.

use dfdx::prelude::*;

use crate::formula::{CropsAt, CropsTo};
use crate::{Error, Result};

/// The centre `h x w` of `x`: `(size - kept) / 2` rows and columns dropped
/// before the kept ones. Free when the sizes are already equal.
pub fn center_crop<B, C, Hs, Ws, H, W, D, T>(
    x: Tensor<(B, C, Hs, Ws), f32, D, T>,
    h: H,
    w: W,
) -> Result<Tensor<(B, C, H, W), f32, D, T>>
where
    B: Dim,
    C: Dim,
    Hs: CropsTo<H>,
    Ws: CropsTo<W>,
    H: Dim,
    W: Dim,
    D: crate::ops::F32Device,
    T: Tape<f32, D>,
{
    let (b, c, hs, ws) = *x.shape();
    let oy = hs.offset(&h).map_err(|m| Error::shape("center_crop", m))?;
    let ox = ws.offset(&w).map_err(|m| Error::shape("center_crop", m))?;
    let kept = (b, c, h, w);
    if oy == 0 && ox == 0 {
        return Ok(x.try_reshape_like(&kept)?);
    }
    let (hh, ww) = (h.size(), w.size());
    Ok(x.try_slice((.., .., oy..oy + hh, ox..ox + ww))?
        .try_reshape_like(&kept)?)
}

/// The `h x w` window of `x` from rows `OY` and columns `OX` on (FCN's
/// final crop back to the input's size, at the offset where the two line
/// up); the bounds check that the window fits.
pub fn crop_at<OY, OX, B, C, Hs, Ws, H, W, D, T>(
    x: Tensor<(B, C, Hs, Ws), f32, D, T>,
    (h, w): (H, W),
) -> Result<Tensor<(B, C, H, W), f32, D, T>>
where
    OY: typenum::Unsigned,
    OX: typenum::Unsigned,
    B: Dim,
    C: Dim,
    Hs: CropsAt<OY, H>,
    Ws: CropsAt<OX, W>,
    H: Dim,
    W: Dim,
    D: crate::ops::F32Device,
    T: Tape<f32, D>,
{
    let (b, c, hs, ws) = *x.shape();
    hs.check_crop(&h).map_err(|m| Error::shape("crop_at", m))?;
    ws.check_crop(&w).map_err(|m| Error::shape("crop_at", m))?;
    let (oy, ox) = (OY::USIZE, OX::USIZE);
    Ok(x.try_slice((.., .., oy..oy + h.size(), ox..ox + w.size()))?
        .try_reshape_like(&(b, c, h, w))?)
}

/// U-Net's copy and crop: the earlier, larger maps `skip` centre-cropped
/// to `x`'s size, then stacked before `x` along channels.
pub fn crop_concat<B, Cs, C, Hs, Ws, H, W, D, T>(
    skip: Tensor<(B, Cs, Hs, Ws), f32, D, T>,
    x: Tensor<(B, C, H, W), f32, D, T>,
) -> Result<Tensor<(B, Cs::Output, H, W), f32, D, T>>
where
    B: Dim,
    Cs: Dim + core::ops::Add<C>,
    Cs::Output: Dim,
    C: Dim,
    Hs: CropsTo<H>,
    Ws: CropsTo<W>,
    H: Dim,
    W: Dim,
    D: crate::ops::Backend,
    T: Tape<f32, D>,
{
    let (_, _, h, w) = *x.shape();
    let skip = center_crop(skip, h, w)?;
    super::concat_channels(skip, x)
}

/// FCN's score fusion: `x` plus the earlier maps `skip` centre-cropped to
/// its size (same channels).
pub fn crop_add<B, C, Hs, Ws, H, W, D, T>(
    skip: Tensor<(B, C, Hs, Ws), f32, D, T>,
    x: Tensor<(B, C, H, W), f32, D, T>,
) -> Result<Tensor<(B, C, H, W), f32, D, T>>
where
    B: Dim,
    C: Dim,
    Hs: CropsTo<H>,
    Ws: CropsTo<W>,
    H: Dim,
    W: Dim,
    D: crate::ops::Backend,
    T: Tape<f32, D>,
{
    let (b, c, h, w) = *x.shape();
    if skip.shape().1.size() != c.size() || skip.shape().0.size() != b.size() {
        return Err(Error::shape(
            "crop_add",
            format!(
                "cannot add {:?} maps to {:?}: batch or channels differ",
                skip.shape().concrete(),
                x.shape().concrete()
            ),
        ));
    }
    let skip = center_crop(skip, h, w)?;
    Ok(x.try_add(skip.try_reshape_like(&(b, c, h, w))?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dims::N;
    use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};
    use typenum::{U1, U2, U3, U4, U6};

    /// The naive crop: rows `oy..oy+h`, columns `ox..ox+w` of every plane.
    fn naive_crop(x: &[f32], [planes, hs, ws]: [usize; 3], h: usize, w: usize) -> Vec<f32> {
        let (oy, ox) = ((hs - h) / 2, (ws - w) / 2);
        let mut y = Vec::new();
        for p in 0..planes {
            for r in oy..oy + h {
                y.extend_from_slice(&x[p * hs * ws + r * ws + ox..][..w]);
            }
        }
        y
    }

    #[test]
    fn crop_concat_stacks_the_centre_of_the_skip_before_the_maps() {
        let dev: Cpu = Default::default();
        let (sv, xv) = (values(2 * 2 * 6 * 4, 1), values(2 * 3 * 2 * 2, 2));
        let skip: Tensor<(usize, N<U2>, N<U6>, N<U4>), f32, Cpu> =
            dev.tensor_from_vec(sv.clone(), (2, N::new(), N::new(), N::new()));
        let x: Tensor<(usize, N<U3>, N<U2>, N<U2>), f32, Cpu> =
            dev.tensor_from_vec(xv.clone(), (2, N::new(), N::new(), N::new()));
        let r = values(2 * 5 * 2 * 2, 3);
        let y = crop_concat(skip.leaky_trace(), x.leaky_trace()).unwrap();
        let _: &Tensor<(usize, N<typenum::U5>, N<U2>, N<U2>), f32, Cpu, _> = &y;
        let cropped = naive_crop(&sv, [4, 6, 4], 2, 2);
        let mut want = Vec::new();
        for n in 0..2 {
            want.extend_from_slice(&cropped[n * 8..n * 8 + 8]);
            want.extend_from_slice(&xv[n * 12..n * 12 + 12]);
        }
        assert_eq!(y.as_vec(), want);
        let grads = weighted_loss(y, &r).backward();
        // the skip's gradient: finite differences of the naive join
        let loss = |s: &[f32]| {
            let c = naive_crop(s, [4, 6, 4], 2, 2);
            let mut y = Vec::new();
            for n in 0..2 {
                y.extend_from_slice(&c[n * 8..n * 8 + 8]);
                y.extend_from_slice(&xv[n * 12..n * 12 + 12]);
            }
            weighted_sum(&y, &r)
        };
        let numeric = numeric_grad(&sv, 1e-2, loss);
        assert_close(&grads.get(&skip).as_vec(), &numeric, 1e-3, "skip gradient");
        let dx: Vec<f32> = (0..2)
            .flat_map(|n| r[n * 20 + 8..n * 20 + 20].to_vec())
            .collect();
        assert_close(&grads.get(&x).as_vec(), &dx, 1e-6, "maps' gradient");
    }

    #[test]
    fn crop_add_adds_the_centre_and_runtime_sizes_are_checked() {
        let dev: Cpu = Default::default();
        let sv = values(4 * 4, 4);
        let skip: Tensor<(usize, N<U1>, N<U4>, N<U4>), f32, Cpu> =
            dev.tensor_from_vec(sv.clone(), (1, N::new(), N::new(), N::new()));
        let x: Tensor<(usize, N<U1>, N<U2>, N<U2>), f32, Cpu> =
            dev.ones_like(&(1, N::new(), N::new(), N::new()));
        let y = crop_add(skip, x).unwrap().as_vec();
        let want: Vec<f32> = naive_crop(&sv, [1, 4, 4], 2, 2)
            .iter()
            .map(|v| v + 1.0)
            .collect();
        assert_eq!(y, want);
        let odd: Tensor<(usize, usize, usize, usize), f32, Cpu> = dev.zeros_like(&(1, 1, 5, 4));
        let small: Tensor<(usize, usize, usize, usize), f32, Cpu> = dev.zeros_like(&(1, 1, 2, 2));
        let e = crop_concat(odd, small.clone()).unwrap_err().to_string();
        assert!(e.contains("5 cannot be centre-cropped to 2"), "{e}");
        let big: Tensor<(usize, usize, usize, usize), f32, Cpu> = dev.zeros_like(&(1, 1, 4, 4));
        let e = crop_add(small, big).unwrap_err().to_string();
        assert!(e.contains("smaller"), "{e}");
    }
}
