//! What the training loop needs of a network: the [`Classifier`] contract.
//!
//! `network!` implements it for every network whose input sizes are all
//! numbers and whose output (and every auxiliary head's) is a vector of
//! class scores, so any such declaration trains with [`super::fit`] without
//! writing an impl. The loop hands batches over as [`Rows`], one flattened
//! sample a row; the network views them in its own typed input shape (the
//! view moves no data) and checks the row length first, so a batch of the
//! wrong size is an error that names both sizes rather than a panic.

use dfdx::prelude::*;

use crate::ops::Backend;

/// A batch with one flattened sample (or one sample's class scores) a row.
pub type Rows<D, T = NoneTape> = Tensor<(usize, usize), f32, D, T>;

/// The class scores of a training pass: the main output, and each
/// auxiliary head's with its loss weight (the declaration's
/// `aux(weight = ..)`).
pub struct TrainScores<D: Storage<f32>> {
    /// The network's own output.
    pub main: Rows<D, OwnedTape<f32, D>>,
    /// `(scores, weight)` per auxiliary head, in declaration order.
    pub aux: Vec<(Rows<D, OwnedTape<f32, D>>, f32)>,
}

/// A network mapping samples of a fixed shape to one score per class.
///
/// ```
/// use splotnet::prelude::*;
/// use splotnet::train::Classifier;
///
/// network! {
///     pub Tiny(input: [1, 8, 8]) {
///         c1: conv(4, k = 3), relu,
///         flatten,
///         fc: linear(3),
///     }
/// }
///
/// assert_eq!(<Tiny<f32, Cpu> as Classifier<Cpu>>::input_dims(), vec![1, 8, 8]);
/// assert_eq!(<Tiny<f32, Cpu> as Classifier<Cpu>>::classes(), 3);
/// let dev = Cpu::default();
/// let net = Tiny::<f32, Cpu>::build(&dev);
/// let len = <Tiny<f32, Cpu> as Classifier<Cpu>>::sample_len(); // 1·8·8
/// let x = dev.zeros_like(&(5, len));
/// assert_eq!(net.scores(x).unwrap().shape().concrete(), [5, 3]);
/// // a row that is not one sample is an error, not a panic
/// assert!(net.scores(dev.zeros_like(&(5, len - 1))).is_err());
/// ```
pub trait Classifier<D: Backend>: TensorCollection<f32, D> {
    /// One sample's shape, `[C, H, W]` for maps.
    fn input_dims() -> Vec<usize>;

    /// The number of classes scored.
    fn classes() -> usize;

    /// The values in one sample.
    fn sample_len() -> usize {
        Self::input_dims().iter().product()
    }

    /// Training pass (dropout on, batch statistics) with the auxiliary
    /// heads' scores; pass a traced batch.
    fn train_scores(&mut self, x: Rows<D, OwnedTape<f32, D>>) -> crate::Result<TrainScores<D>>;

    /// Inference pass: the class scores.
    fn scores(&self, x: Rows<D>) -> crate::Result<Rows<D>>;

    /// Every named layer's output on the first sample of `x`.
    fn layer_outputs(&self, x: Rows<D>) -> crate::Result<Vec<crate::inspect::Activation>>;
}

/// Checks that `x`'s rows are samples of `dims`; generated impls call it
/// before viewing the batch in their typed shape.
#[doc(hidden)]
pub fn check_rows<D: Storage<f32>, T>(x: &Rows<D, T>, dims: &[usize]) -> crate::Result<usize> {
    let (batch, len) = *x.shape();
    let want: usize = dims.iter().product();
    if len != want {
        return Err(crate::Error::shape(
            "classifier input",
            format!(
                "rows of {len} values, but the network takes samples of {dims:?} ({want} values)"
            ),
        ));
    }
    Ok(batch)
}

/// `y`'s samples as rows: the view a generated impl returns its scores in.
#[doc(hidden)]
pub fn as_rows<S: Shape, D: Backend, T: Tape<f32, D>>(
    y: Tensor<S, f32, D, T>,
) -> crate::Result<Rows<D, T>> {
    let n = y.shape().num_elements();
    let batch = y.shape().concrete().into_iter().next().unwrap_or(1);
    Ok(y.try_reshape_like(&(batch, n / batch.max(1)))?)
}

/// The first trained tensor with four axes (a 2D convolution's filters):
/// its values and `[filters, channels, kh, kw]`.
pub fn first_filters<M: TensorCollection<f32, D>, D: Device<f32>>(
    model: &M,
) -> Option<(Vec<f32>, [usize; 4])> {
    use dfdx::nn::tensor_collection::{
        RecursiveWalker, TensorOptions, TensorVisitor, ViewTensorRef,
    };
    struct First(Option<(Vec<f32>, [usize; 4])>);
    impl<D: Device<f32>> TensorVisitor<f32, D> for First {
        type Viewer = ViewTensorRef;
        type Err = ();
        type E2 = f32;
        type D2 = D;
        fn visit<S: Shape>(
            &mut self,
            opts: TensorOptions<S, f32, D>,
            t: &Tensor<S, f32, D>,
        ) -> Result<Option<Tensor<S, f32, D>>, ()> {
            let dims: Vec<usize> = t.shape().concrete().into_iter().collect();
            if let (None, true, &[f, c, kh, kw]) = (&self.0, opts.do_gradient_update, &dims[..]) {
                self.0 = Some((t.as_vec(), [f, c, kh, kw]));
            }
            Ok(None)
        }
    }
    let mut first = First(None);
    // the visitor never fails
    let _ = M::iter_tensors(&mut RecursiveWalker {
        m: model,
        f: &mut first,
    });
    first.0
}
