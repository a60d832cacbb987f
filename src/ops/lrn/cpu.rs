//! Cpu LRN: one rayon task per image; the window slides over channel planes.

use rayon::prelude::*;

use super::Lrn;

/// `scale = k + α Σ_window a²`, `y = a · scale^-β`.
pub fn forward(
    p: &Lrn,
    [_, channels, positions]: [usize; 3],
    x: &[f32],
    scale: &mut [f32],
    y: &mut [f32],
) {
    let image = channels * positions;
    x.par_chunks_exact(image)
        .zip(scale.par_chunks_exact_mut(image))
        .zip(y.par_chunks_exact_mut(image))
        .for_each(|((x, s), y)| {
            for c in 0..channels {
                let s = &mut s[c * positions..(c + 1) * positions];
                s.fill(0.0);
                for j in p.window(c, channels) {
                    for (acc, v) in s.iter_mut().zip(&x[j * positions..(j + 1) * positions]) {
                        *acc += v * v;
                    }
                }
                let plane = c * positions..(c + 1) * positions;
                for ((s, y), a) in s.iter_mut().zip(&mut y[plane.clone()]).zip(&x[plane]) {
                    *s = p.k + p.alpha * *s;
                    *y = a * s.powf(-p.beta);
                }
            }
        });
}

/// `dx_j += dy_j s_j^-β - 2αβ a_j Σ_{i: j ∈ window(i)} dy_i a_i s_i^{-β-1}`.
///
/// The window is symmetric, so the channels `i` whose window holds `j` are
/// exactly `window(j)`.
pub fn backward(
    p: &Lrn,
    [_, channels, positions]: [usize; 3],
    x: &[f32],
    scale: &[f32],
    dy: &[f32],
    dx: &mut [f32],
) {
    let image = channels * positions;
    dx.par_chunks_exact_mut(image)
        .enumerate()
        .for_each(|(n, dx)| {
            let x = &x[n * image..(n + 1) * image];
            let s = &scale[n * image..(n + 1) * image];
            let dy = &dy[n * image..(n + 1) * image];
            // t_i = dy_i a_i s_i^{-β-1}
            let t: Vec<f32> = (0..image)
                .map(|i| dy[i] * x[i] * s[i].powf(-p.beta - 1.0))
                .collect();
            for c in 0..channels {
                for q in 0..positions {
                    let j = c * positions + q;
                    let sum: f32 = p.window(c, channels).map(|i| t[i * positions + q]).sum();
                    dx[j] += dy[j] * s[j].powf(-p.beta) - 2.0 * p.alpha * p.beta * x[j] * sum;
                }
            }
        });
}
