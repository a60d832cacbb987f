//! One layer's output on one sample, as a network's `activations()`
//! records it.

/// One layer's output on one sample: its name, per-sample shape
/// (`[C, H, W]`, `[C, L]` or `[F]`) and values.
#[derive(Clone, Debug, PartialEq)]
pub struct Activation {
    /// The layer's name in the declaration.
    pub name: String,
    /// The per-sample shape.
    pub shape: Vec<usize>,
    /// The first sample's values, row-major.
    pub values: Vec<f32>,
}

/// What an inference pass tells about each named layer's output: nothing
/// for `forward`, the first sample for `activations`. One generated pass
/// serves both, so the compiler checks a network's layer chain once for
/// the two.
#[doc(hidden)]
pub trait Recorder {
    /// Whether it records anything: a pass that tells no one runs the
    /// layers it can fuse fused, one that records runs them apart.
    const RECORDS: bool = true;

    /// Called with each named layer's output.
    fn record<S: dfdx::shapes::Shape, D: dfdx::tensor::Storage<f32>, T>(
        &mut self,
        name: &str,
        x: &dfdx::tensor::Tensor<S, f32, D, T>,
    );
}

/// Records nothing.
#[doc(hidden)]
pub struct NoRecord;

impl Recorder for NoRecord {
    const RECORDS: bool = false;

    #[inline(always)]
    fn record<S: dfdx::shapes::Shape, D: dfdx::tensor::Storage<f32>, T>(
        &mut self,
        _: &str,
        _: &dfdx::tensor::Tensor<S, f32, D, T>,
    ) {
    }
}

impl Recorder for Vec<Activation> {
    fn record<S: dfdx::shapes::Shape, D: dfdx::tensor::Storage<f32>, T>(
        &mut self,
        name: &str,
        x: &dfdx::tensor::Tensor<S, f32, D, T>,
    ) {
        self.push(Activation::first_sample(name, x));
    }
}

impl Activation {
    /// The first sample of `x`'s batch, recorded under `name`.
    pub fn first_sample<S: dfdx::shapes::Shape, D: dfdx::tensor::Storage<f32>, T>(
        name: &str,
        x: &dfdx::tensor::Tensor<S, f32, D, T>,
    ) -> Self {
        let dims = dfdx::shapes::HasShape::shape(x).concrete();
        let shape: Vec<usize> = dims.as_ref()[1..].to_vec();
        let per_sample: usize = shape.iter().product();
        let mut values = x.as_vec();
        values.truncate(per_sample);
        Activation {
            name: name.to_string(),
            shape,
            values,
        }
    }
}
