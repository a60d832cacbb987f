//! A checked, row-major front to the `gemm` crate's packed f32 kernel.
//!
//! `gemm` takes raw pointers and arbitrary strides; everything the kernels
//! here multiply is a dense row-major matrix, possibly read transposed, so
//! this front takes slices, checks them against the dimensions, and turns
//! "transposed" into strides (a transpose costs nothing).

use gemm::Parallelism;

/// A dense row-major matrix view, read as stored or transposed.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    transposed: bool,
}

impl<'a> Mat<'a> {
    /// `data` holds a `rows x cols` row-major matrix.
    pub(crate) fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(data.len() >= rows * cols, "matrix slice too short");
        Mat {
            data,
            rows,
            cols,
            transposed: false,
        }
    }

    /// The same storage read as its transpose.
    pub(crate) fn t(self) -> Self {
        Mat {
            transposed: !self.transposed,
            ..self
        }
    }

    /// (rows, cols) as read.
    fn dims(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// (row stride, column stride) as read.
    fn strides(&self) -> (isize, isize) {
        if self.transposed {
            (1, self.cols as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

/// `dst = a·b` (or `dst += a·b` when `accumulate`), `dst` row-major `m x n`.
pub(crate) fn matmul(dst: &mut [f32], a: Mat, b: Mat, accumulate: bool, threads: usize) {
    let (m, k) = a.dims();
    let (kb, n) = b.dims();
    assert_eq!(k, kb, "inner dimensions differ");
    assert!(dst.len() >= m * n, "destination too short");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    let parallelism = if threads > 1 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    // SAFETY: the asserts above and in `Mat::new` guarantee that every index
    // gemm forms from (m, n, k) and these strides lies inside its slice, and
    // `dst` is borrowed mutably, so it aliases neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    fn transpose(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        let mut t = vec![0.0; a.len()];
        for i in 0..rows {
            for j in 0..cols {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        t
    }

    #[test]
    fn matches_naive_product_with_and_without_transposes() {
        let (m, k, n) = (7, 13, 5);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let expect = naive(&a, &b, m, k, n);
        let at = transpose(&a, m, k);
        let bt = transpose(&b, k, n);
        for threads in [1, 2] {
            let mut c = vec![0.0; m * n];
            matmul(
                &mut c,
                Mat::new(&a, m, k),
                Mat::new(&b, k, n),
                false,
                threads,
            );
            assert_close(&c, &expect);
            matmul(
                &mut c,
                Mat::new(&at, k, m).t(),
                Mat::new(&bt, n, k).t(),
                false,
                threads,
            );
            assert_close(&c, &expect);
            // accumulate doubles it
            matmul(
                &mut c,
                Mat::new(&a, m, k),
                Mat::new(&b, k, n),
                true,
                threads,
            );
            let doubled: Vec<f32> = expect.iter().map(|v| 2.0 * v).collect();
            assert_close(&c, &doubled);
        }
    }

    fn assert_close(a: &[f32], b: &[f32]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
    }
}
