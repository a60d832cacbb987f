//! Device-generic batch norm, composed of dfdx's ops on the maps read as
//! `(batch, channels, positions)`.

use dfdx::prelude::*;

use crate::ops::F32Device;
use crate::Result;

type Maps<D, T> = Tensor<(usize, usize, usize), f32, D, T>;

/// A per-channel tensor on `T`'s tape, spread over the maps.
fn spread<C: Dim, D: F32Device, T: Tape<f32, D>>(
    t: Tensor<(C,), f32, D, T>,
    [b, c, p]: [usize; 3],
) -> Result<Maps<D, T>> {
    Ok(t.try_reshape_like(&(c,))?
        .try_broadcast_like::<_, Axes2<0, 2>>(&(b, c, p))?)
}

/// Inference batch norm with the running statistics.
pub fn eval<D: F32Device, S: Shape, C: Dim, T: Tape<f32, D>>(
    x: Tensor<S, f32, D, T>,
    gamma: &Tensor<(C,), f32, D>,
    beta: &Tensor<(C,), f32, D>,
    (mean, var): (&Tensor<(C,), f32, D>, &Tensor<(C,), f32, D>),
    eps: f32,
    dims: [usize; 3],
) -> Result<Tensor<S, f32, D, T>> {
    let shape = *x.shape();
    let x = x.try_reshape_like(&(dims[0], dims[1], dims[2]))?;
    let std = var.clone().try_add(eps)?.try_sqrt()?;
    let normalized = x
        .try_sub(spread(mean.clone(), dims)?)?
        .try_div(spread(std, dims)?)?;
    let y = normalized
        .try_mul(spread(gamma.retaped::<T>(), dims)?)?
        .try_add(spread(beta.retaped::<T>(), dims)?)?;
    Ok(y.try_reshape_like(&shape)?)
}

/// Training batch norm: the batch's statistics normalise, the running ones
/// move toward them.
pub fn train<D: F32Device, S: Shape, C: Dim, T: Tape<f32, D>>(
    x: Tensor<S, f32, D, T>,
    gamma: &Tensor<(C,), f32, D>,
    beta: &Tensor<(C,), f32, D>,
    (running_mean, running_var): (&mut Tensor<(C,), f32, D>, &mut Tensor<(C,), f32, D>),
    eps: f32,
    momentum: f32,
    dims: [usize; 3],
) -> Result<Tensor<S, f32, D, T>> {
    let shape = *x.shape();
    let x = x.try_reshape_like(&(dims[0], dims[1], dims[2]))?;
    let count = dims[0] * dims[2];
    let channels = (dims[1],);
    let mean: Tensor<(usize,), f32, D, T> = x.retaped::<T>().try_mean::<_, Axes2<0, 2>>()?;
    // the running statistics read detached copies; `mean` itself (whose
    // tape holds the mean's backward op) must be consumed on the tape
    let batch_mean = mean.retaped::<NoneTape>();
    let centered = x.try_sub(spread(mean, dims)?)?;
    let var: Tensor<(usize,), f32, D, T> = centered
        .retaped::<T>()
        .try_square()?
        .try_mean::<_, Axes2<0, 2>>()?;
    let unbiased = count as f32 / (count.max(2) - 1) as f32;
    let rm = running_mean
        .clone()
        .try_reshape_like(&channels)?
        .try_mul(1.0 - momentum)?
        .try_add(batch_mean.try_mul(momentum)?)?;
    let rv = running_var
        .clone()
        .try_reshape_like(&channels)?
        .try_mul(1.0 - momentum)?
        .try_add(var.retaped::<NoneTape>().try_mul(momentum * unbiased)?)?;
    let c = *running_mean.shape();
    *running_mean = rm.try_reshape_like(&c)?;
    *running_var = rv.try_reshape_like(&c)?;
    let std = var.try_add(eps)?.try_sqrt()?;
    let normalized = centered.try_div(spread(std, dims)?)?;
    let y = normalized
        .try_mul(spread(gamma.retaped::<T>(), dims)?)?
        .try_add(spread(beta.retaped::<T>(), dims)?)?;
    Ok(y.try_reshape_like(&shape)?)
}
