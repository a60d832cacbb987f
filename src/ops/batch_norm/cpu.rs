//! Cpu batch norm: per-channel statistics in `f64`, one rayon task per
//! channel plane of each image.

use rayon::prelude::*;

/// A channel's normalisation: `x̂ = (x - mean) · inv_std`.
#[derive(Clone, Debug)]
pub struct Stats {
    pub mean: Vec<f32>,
    pub inv_std: Vec<f32>,
    /// The batch's biased variance (training only).
    pub var: Vec<f32>,
}

impl Stats {
    /// From running statistics.
    pub fn running(mean: &[f32], var: &[f32], eps: f32) -> Stats {
        Stats {
            mean: mean.to_vec(),
            inv_std: var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect(),
            var: var.to_vec(),
        }
    }

    /// The batch's mean and biased variance per channel.
    pub fn of_batch([batch, channels, positions]: [usize; 3], x: &[f32], eps: f32) -> Stats {
        let count = (batch * positions) as f64;
        let (mean, var): (Vec<f32>, Vec<f32>) = (0..channels)
            .into_par_iter()
            .map(|c| {
                let planes = (0..batch).map(|n| plane(x, n, c, channels, positions));
                let sum: f64 = planes.clone().flatten().map(|&v| v as f64).sum();
                let mean = sum / count;
                let ss: f64 = planes.flatten().map(|&v| (v as f64 - mean).powi(2)).sum();
                (mean as f32, (ss / count) as f32)
            })
            .unzip();
        let inv_std = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
        Stats { mean, inv_std, var }
    }

    /// `r ← (1-m) r + m·batch`, the variance unbiased (`n / (n-1)`).
    pub fn update_running(
        &self,
        [batch, _, positions]: [usize; 3],
        momentum: f32,
        mean: &mut [f32],
        var: &mut [f32],
    ) {
        let count = batch * positions;
        let unbiased = count as f32 / (count.max(2) - 1) as f32;
        for (r, b) in mean.iter_mut().zip(&self.mean) {
            *r = (1.0 - momentum) * *r + momentum * b;
        }
        for (r, b) in var.iter_mut().zip(&self.var) {
            *r = (1.0 - momentum) * *r + momentum * unbiased * b;
        }
    }
}

fn plane(x: &[f32], n: usize, c: usize, channels: usize, positions: usize) -> &[f32] {
    let start = (n * channels + c) * positions;
    &x[start..start + positions]
}

/// `y = γ x̂ + β`.
pub fn normalize(
    [_, channels, positions]: [usize; 3],
    x: &[f32],
    s: &Stats,
    gamma: &[f32],
    beta: &[f32],
    y: &mut [f32],
) {
    y.par_chunks_exact_mut(positions)
        .zip(x.par_chunks_exact(positions))
        .enumerate()
        .for_each(|(i, (y, x))| {
            let c = i % channels;
            let scale = gamma[c] * s.inv_std[c];
            let shift = beta[c] - s.mean[c] * scale;
            y.iter_mut()
                .zip(x)
                .for_each(|(y, x)| *y = x * scale + shift);
        });
}

/// `(Σ dy·x̂, Σ dy)` per channel: the gradients of γ and β.
pub fn param_grads(
    [batch, channels, positions]: [usize; 3],
    x: &[f32],
    s: &Stats,
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    (0..channels)
        .into_par_iter()
        .map(|c| {
            let (mut dg, mut db) = (0.0f64, 0.0f64);
            for n in 0..batch {
                let (x, dy) = (
                    plane(x, n, c, channels, positions),
                    plane(dy, n, c, channels, positions),
                );
                for (x, dy) in x.iter().zip(dy) {
                    dg += (*dy as f64) * ((x - s.mean[c]) * s.inv_std[c]) as f64;
                    db += *dy as f64;
                }
            }
            (dg as f32, db as f32)
        })
        .unzip()
}

/// Inference: `dx += dy · γ · inv_std` (the statistics are constants).
pub fn backward_eval(
    [_, channels, positions]: [usize; 3],
    s: &Stats,
    gamma: &[f32],
    dy: &[f32],
    dx: &mut [f32],
) {
    dx.par_chunks_exact_mut(positions)
        .zip(dy.par_chunks_exact(positions))
        .enumerate()
        .for_each(|(i, (dx, dy))| {
            let c = i % channels;
            let k = gamma[c] * s.inv_std[c];
            dx.iter_mut().zip(dy).for_each(|(dx, dy)| *dx += dy * k);
        });
}

/// Training: the statistics depend on `x` too,
/// `dx += γ·inv_std · (dy - Σdy/M - x̂ · Σ(dy·x̂)/M)` over the `M` values
/// of the channel.
#[allow(clippy::too_many_arguments)]
pub fn backward_train(
    [batch, channels, positions]: [usize; 3],
    x: &[f32],
    s: &Stats,
    gamma: &[f32],
    dy: &[f32],
    dgamma: &[f32],
    dbeta: &[f32],
    dx: &mut [f32],
) {
    let count = (batch * positions) as f32;
    dx.par_chunks_exact_mut(positions)
        .zip(dy.par_chunks_exact(positions))
        .zip(x.par_chunks_exact(positions))
        .enumerate()
        .for_each(|(i, ((dx, dy), x))| {
            let c = i % channels;
            let (mean, inv) = (s.mean[c], s.inv_std[c]);
            let k = gamma[c] * inv;
            let (mdy, mdyx) = (dbeta[c] / count, dgamma[c] / count);
            for ((dx, dy), x) in dx.iter_mut().zip(dy).zip(x) {
                let xhat = (x - mean) * inv;
                *dx += k * (dy - mdy - xhat * mdyx);
            }
        });
}
