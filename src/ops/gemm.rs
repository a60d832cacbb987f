//! A checked, row-major front to the `gemm` crate's packed f32 kernel.
//!
//! `gemm` takes raw pointers and arbitrary strides; everything the kernels
//! here multiply is a dense row-major matrix, possibly read transposed, so
//! this front takes slices, checks them against the dimensions, and turns
//! "transposed" into strides (a transpose costs nothing).

use gemm::Parallelism;

/// A matrix view of a slice: element `(i, j)` at `i·row_stride + j·col_stride`.
/// Dense row-major matrices, their transposes (a transpose costs nothing)
/// and every `k`-th column of one ([`Mat::strided`]) are all views.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Mat<'a> {
    /// `data` holds a `rows x cols` row-major matrix.
    pub(crate) fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self::strided(data, rows, cols, cols, 1)
    }

    /// `rows x cols` elements at `i·row_stride + j·col_stride` in `data`.
    pub(crate) fn strided(
        data: &'a [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Self {
        let last = match (rows, cols) {
            (0, _) | (_, 0) => 0,
            _ => (rows - 1) * row_stride + (cols - 1) * col_stride + 1,
        };
        assert!(data.len() >= last, "matrix slice too short");
        Mat {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }

    /// The same storage read as its transpose.
    pub(crate) fn t(self) -> Self {
        Mat {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// (rows, cols) as read.
    fn dims(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// (row stride, column stride) as read.
    fn strides(&self) -> (isize, isize) {
        (self.row_stride as isize, self.col_stride as isize)
    }
}

/// `dst = a·b` (or `dst += a·b` when `accumulate`), `dst` row-major `m x n`.
pub(crate) fn matmul(dst: &mut [f32], a: Mat, b: Mat, accumulate: bool, threads: usize) {
    gemm_into(dst, a, b, accumulate, threads, false)
}

/// [`matmul`] with `dst` read column-major (`dst[j·m + i]`): `dstᵀ = a·b`.
///
/// `gemm`'s micro-kernels are 16 rows (two AVX2 vectors) by 4 or 6 columns,
/// so a product with few rows wastes most of each tile: `Y = W·cols` for
/// LeNet's C1 has 6 rows and fills 6 of 16. Computed as `Yᵀ = colsᵀ·Wᵀ`
/// the 6 become the columns, which the 16x6 kernel fits exactly; `Yᵀ`
/// written column-major is `Y`, so nothing moves.
pub(crate) fn matmul_transposed_into(
    dst: &mut [f32],
    a: Mat,
    b: Mat,
    accumulate: bool,
    threads: usize,
) {
    gemm_into(dst, a, b, accumulate, threads, true)
}

fn gemm_into(dst: &mut [f32], a: Mat, b: Mat, accumulate: bool, threads: usize, col_major: bool) {
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
    // SAFETY: the asserts above and in `Mat::strided` guarantee that every index
    // gemm forms from (m, n, k) and these strides lies inside its slice, and
    // `dst` is borrowed mutably, so it aliases neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            if col_major { m as isize } else { 1 },
            if col_major { 1 } else { n as isize },
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

    /// Every third column of a wider matrix, as a convolution's weights
    /// are read one tap at a time.
    #[test]
    fn strided_views_read_every_kth_column() {
        let (m, k, n, every) = (4, 6, 3, 3);
        let wide: Vec<f32> = (0..m * k * every)
            .map(|i| (i as f32 * 0.23).sin())
            .collect();
        let a: Vec<f32> = (0..m * k).map(|i| wide[i * every + 1]).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.7).cos()).collect();
        let mut c = vec![0.0; m * n];
        let view = Mat::strided(&wide[1..], m, k, k * every, every);
        matmul(&mut c, view, Mat::new(&b, k, n), false, 1);
        assert_close(&c, &naive(&a, &b, m, k, n));
    }

    #[test]
    fn a_column_major_destination_holds_the_transposed_product() {
        let (m, k, n) = (19, 5, 6);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.31).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.17).cos()).collect();
        let expect = transpose(&naive(&a, &b, m, k, n), m, n);
        for threads in [1, 2] {
            let mut c = vec![1.0; m * n];
            matmul_transposed_into(
                &mut c,
                Mat::new(&a, m, k),
                Mat::new(&b, k, n),
                false,
                threads,
            );
            assert_close(&c, &expect);
            // accumulating adds the same again
            matmul_transposed_into(
                &mut c,
                Mat::new(&a, m, k),
                Mat::new(&b, k, n),
                true,
                threads,
            );
            let twice: Vec<f32> = expect.iter().map(|v| 2.0 * v).collect();
            assert_close(&c, &twice);
        }
    }

    fn assert_close(a: &[f32], b: &[f32]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
    }
}
