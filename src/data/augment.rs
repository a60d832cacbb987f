//! Random affine distortions of digits: the "distortions" with which
//! LeNet-5's MNIST error fell from 0.95 % to 0.8 % (LeCun et al. 1998 used
//! planar affine transformations; the ranges here are this crate's choice).

use rand::Rng;

use super::SIDE;

/// Ranges of the random rotation, scaling and shift applied to each digit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distortion {
    /// Largest rotation either way, in degrees.
    pub max_rotation_deg: f32,
    /// Scale factors are drawn from `[1 - max_scale, 1 + max_scale]`.
    pub max_scale: f32,
    /// Largest shift either way along each axis, in pixels.
    pub max_shift: f32,
}

impl Distortion {
    /// Mild distortions: ±10°, ±10 % scale, ±2 px shift.
    pub const DEFAULT: Distortion = Distortion {
        max_rotation_deg: 10.0,
        max_scale: 0.1,
        max_shift: 2.0,
    };

    /// No distortion at all.
    pub const NONE: Distortion = Distortion {
        max_rotation_deg: 0.0,
        max_scale: 0.0,
        max_shift: 0.0,
    };

    /// Writes one distorted digit's intensities (0 to 1) into `out`, a `side x side`
    /// canvas (`side = 28 + 2·pad`) with the digit centred.
    ///
    /// Each canvas pixel is mapped back through the inverse transform and
    /// sampled bilinearly from the 28x28 source; outside it reads background.
    pub fn apply(&self, pixels: &[u8], pad: usize, out: &mut [f32], rng: &mut impl Rng) {
        let side = SIDE + 2 * pad;
        let uniform =
            |rng: &mut dyn rand::RngCore, r: f32| if r > 0.0 { rng.gen_range(-r..=r) } else { 0.0 };
        let angle = uniform(rng, self.max_rotation_deg).to_radians();
        let scale = 1.0 + uniform(rng, self.max_scale);
        let (dx, dy) = (uniform(rng, self.max_shift), uniform(rng, self.max_shift));
        let (sin, cos) = angle.sin_cos();
        let centre = (SIDE as f32 - 1.0) / 2.0;
        let at = |r: isize, c: isize| -> f32 {
            if r < 0 || c < 0 || r >= SIDE as isize || c >= SIDE as isize {
                0.0
            } else {
                pixels[r as usize * SIDE + c as usize] as f32
            }
        };
        for y in 0..side {
            for x in 0..side {
                // canvas -> source: undo the shift, then the rotation and scale about the centre
                let u = x as f32 - pad as f32 - centre - dx;
                let v = y as f32 - pad as f32 - centre - dy;
                let sx = (cos * u + sin * v) / scale + centre;
                let sy = (-sin * u + cos * v) / scale + centre;
                let (x0, y0) = (sx.floor(), sy.floor());
                let (fx, fy) = (sx - x0, sy - y0);
                let (c0, r0) = (x0 as isize, y0 as isize);
                let value = at(r0, c0) * (1.0 - fx) * (1.0 - fy)
                    + at(r0, c0 + 1) * fx * (1.0 - fy)
                    + at(r0 + 1, c0) * (1.0 - fx) * fy
                    + at(r0 + 1, c0 + 1) * fx * fy;
                out[y * side + x] = value / 255.0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn no_distortion_reproduces_the_plain_batch() {
        let m = crate::data::embedded_sample().unwrap();
        let (plain, _) = m.train.batch(&[7], 2);
        let mut out = vec![0.0; 32 * 32];
        Distortion::NONE.apply(
            m.train.pixels(7),
            2,
            &mut out,
            &mut StdRng::seed_from_u64(0),
        );
        let norm = m.train.normalisation();
        for (a, b) in out.iter().map(|v| norm.apply(*v)).zip(&plain) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    #[test]
    fn distortions_are_seeded_and_keep_the_ink() {
        let m = crate::data::embedded_sample().unwrap();
        let ink = |v: &[f32]| v.iter().sum::<f32>();
        let mut plain = vec![0.0; 32 * 32];
        Distortion::NONE.apply(
            m.train.pixels(3),
            2,
            &mut plain,
            &mut StdRng::seed_from_u64(0),
        );
        let mut a = vec![0.0; 32 * 32];
        let mut b = vec![0.0; 32 * 32];
        Distortion::DEFAULT.apply(m.train.pixels(3), 2, &mut a, &mut StdRng::seed_from_u64(5));
        Distortion::DEFAULT.apply(m.train.pixels(3), 2, &mut b, &mut StdRng::seed_from_u64(5));
        assert_eq!(a, b, "same seed, same distortion");
        assert_ne!(a, plain, "the digit moved");
        // area scales by up to (1.1)^2; the ink stays within that
        let (ia, ip) = (ink(&a), ink(&plain));
        assert!(ia > 0.75 * ip && ia < 1.3 * ip, "ink {ia} vs {ip}");
    }
}
