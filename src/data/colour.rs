//! AlexNet's colour augmentation (Krizhevsky, Sutskever and Hinton 2012,
//! §4.1): principal components of the training set's RGB values, and to
//! every pixel of an image `[p1 p2 p3]·[α1 λ1, α2 λ2, α3 λ3]ᵀ` with the
//! `αi ~ N(0, σ)` drawn once per image (the paper's σ is 0.1).

use rand::Rng;

/// The eigenvectors and eigenvalues of the RGB covariance, with the
/// jitter's standard deviation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PcaJitter {
    /// Eigenvectors, `vectors[i]` the i-th (unit length, RGB).
    pub vectors: [[f32; 3]; 3],
    /// Their eigenvalues (variances along them, 0–1 intensity scale).
    pub values: [f32; 3],
    /// The standard deviation of the `αi`.
    pub sigma: f32,
}

impl PcaJitter {
    /// The components of the RGB covariance `cov` (row-major 3x3,
    /// symmetric), with the paper's σ of 0.1.
    pub fn from_covariance(cov: [[f64; 3]; 3]) -> Self {
        let (values, vectors) = symmetric_eigen(cov);
        PcaJitter {
            vectors: vectors.map(|v| v.map(|x| x as f32)),
            values: values.map(|x| x.max(0.0) as f32),
            sigma: 0.1,
        }
    }

    /// The per-channel shift of one image: `Σ αi λi pi`.
    pub fn draw(&self, rng: &mut impl Rng) -> [f32; 3] {
        let mut shift = [0.0; 3];
        for (v, &l) in self.vectors.iter().zip(&self.values) {
            let a = standard_normal(rng) * self.sigma;
            for (s, &x) in shift.iter_mut().zip(v) {
                *s += a * l * x;
            }
        }
        shift
    }
}

/// A standard normal draw (Box–Muller).
fn standard_normal(rng: &mut impl Rng) -> f32 {
    let u1: f32 = rng.gen_range(f32::MIN_POSITIVE..1.0);
    let u2: f32 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * core::f32::consts::PI * u2).cos()
}

/// Eigenvalues and unit eigenvectors of a symmetric 3x3 matrix, by Jacobi
/// rotations (exact to rounding for a matrix this small).
pub fn symmetric_eigen(m: [[f64; 3]; 3]) -> ([f64; 3], [[f64; 3]; 3]) {
    let mut a = m;
    let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for _ in 0..50 {
        let off = a[0][1].abs() + a[0][2].abs() + a[1][2].abs();
        if off < 1e-15 {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if a[p][q].abs() < 1e-300 {
                continue;
            }
            // the rotation that zeroes a[p][q]
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            // a ← Jᵀ a J: columns p and q, then rows p and q
            for row in a.iter_mut() {
                let (akp, akq) = (row[p], row[q]);
                row[p] = c * akp - s * akq;
                row[q] = s * akp + c * akq;
            }
            let (row_p, row_q) = (a[p], a[q]);
            for k in 0..3 {
                a[p][k] = c * row_p[k] - s * row_q[k];
                a[q][k] = s * row_p[k] + c * row_q[k];
            }
            for row in v.iter_mut() {
                let (vp, vq) = (row[p], row[q]);
                row[p] = c * vp - s * vq;
                row[q] = s * vp + c * vq;
            }
        }
    }
    // columns of v are the eigenvectors
    let vectors = [0, 1, 2].map(|i| [v[0][i], v[1][i], v[2][i]]);
    ([a[0][0], a[1][1], a[2][2]], vectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn eigenpairs_satisfy_the_definition() {
        let m = [[0.06, 0.05, 0.04], [0.05, 0.07, 0.045], [0.04, 0.045, 0.08]];
        let (values, vectors) = symmetric_eigen(m);
        for (l, v) in values.iter().zip(&vectors) {
            let norm: f64 = v.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-12);
            for r in 0..3 {
                let mv: f64 = (0..3).map(|c| m[r][c] * v[c]).sum();
                assert!(
                    (mv - l * v[r]).abs() < 1e-12,
                    "row {r}: {mv} vs {}",
                    l * v[r]
                );
            }
        }
        // the trace is the sum of the eigenvalues
        assert!((values.iter().sum::<f64>() - 0.21).abs() < 1e-12);
    }

    #[test]
    fn the_shift_lies_along_the_components_with_their_spread() {
        // one dominant component: shifts follow it, with deviation σ·λ
        let cov = [[0.04, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]];
        let jitter = PcaJitter::from_covariance(cov);
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let shifts: Vec<[f32; 3]> = (0..4000).map(|_| jitter.draw(&mut rng)).collect();
        assert!(shifts.iter().all(|s| s[1] == 0.0 && s[2] == 0.0));
        let var = shifts.iter().map(|s| s[0] * s[0]).sum::<f32>() / 4000.0;
        let want = (0.1f32 * 0.04).powi(2);
        assert!(
            (var / want - 1.0).abs() < 0.1,
            "variance {var}, expected {want}"
        );
    }
}
