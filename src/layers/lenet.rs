//! The two layers of LeNet-5 (LeCun et al., 1998) that modern networks
//! dropped: trainable subsampling, and a convolution restricted by a
//! connection table.

use core::marker::PhantomData;
use dfdx::prelude::*;
use rand::distributions::Uniform;
use typenum::{U0, U1};

use super::FanIn;
use super::SquashedForward;
use crate::dims::{Size, N};
use crate::formula::{Floor, SlidingWindow};
use crate::ops::conv::GroupInputOf;
use crate::ops::{Backend, Conv2dSpec, Pool2dSpec, PoolKind, Squash, TryConv2d};
use crate::Error;

/// Trainable subsampling: per map, the sum over each non-overlapping `K x K`
/// window times a learned coefficient, plus a learned bias (`2·C` parameters).
pub struct Subsample2d<C: Size, K: Size, E: Dtype, D: Storage<E>> {
    /// One coefficient per map.
    pub weight: Tensor<(N<C>,), E, D>,
    /// One bias per map.
    pub bias: Tensor<(N<C>,), E, D>,
    kernel: PhantomData<K>,
}

impl<C: Size, K: Size, E: Dtype, D: Storage<E>> Clone for Subsample2d<C, K, E, D> {
    fn clone(&self) -> Self {
        Subsample2d {
            weight: self.weight.clone(),
            bias: self.bias.clone(),
            kernel: PhantomData,
        }
    }
}

impl<C: Size, K: Size, D: Device<f32>> TensorCollection<f32, D> for Subsample2d<C, K, f32, D> {
    type To<E2: Dtype, D2: Device<E2>> = Subsample2d<C, K, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                // starts as average pooling: coefficient 1/K², the paper's
                // fan-in bound 2.4/F around it
                Self::tensor(
                    "weight",
                    |s| &s.weight,
                    |s| &mut s.weight,
                    TensorOptions::reset_with(|t| {
                        let f = (K::USIZE * K::USIZE) as f32;
                        t.try_fill_with_distr(Uniform::new(1.0 / f - 0.1 / f, 1.0 / f + 0.1 / f))
                    }),
                ),
                Self::tensor(
                    "bias",
                    |s| &s.bias,
                    |s| &mut s.bias,
                    TensorOptions::reset_to_zeros(),
                ),
            ),
            |(weight, bias)| Subsample2d {
                weight,
                bias,
                kernel: PhantomData,
            },
        )
    }
}

impl<C: Size, K: Size, E: Dtype, D: Storage<E>> dfdx::nn::NonMutableModule
    for Subsample2d<C, K, E, D>
{
}

impl<B, C, H, W, K, Dev, T> Module<Tensor<(B, N<C>, H, W), f32, Dev, T>>
    for Subsample2d<C, K, f32, Dev>
where
    B: Dim,
    C: Size,
    K: Size,
    H: SlidingWindow<N<K>, K, U0, U1, Floor>,
    W: SlidingWindow<N<K>, K, U0, U1, Floor>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(B, N<C>, H::Output, W::Output), f32, Dev, T>;
    type Error = Error;

    fn try_forward(&self, x: Tensor<(B, N<C>, H, W), f32, Dev, T>) -> Result<Self::Output, Error> {
        self.try_forward_then(x, None, false)
    }
}

impl<B, C, H, W, K, Dev, T> SquashedForward<Tensor<(B, N<C>, H, W), f32, Dev, T>>
    for Subsample2d<C, K, f32, Dev>
where
    B: Dim,
    C: Size,
    K: Size,
    H: SlidingWindow<N<K>, K, U0, U1, Floor>,
    W: SlidingWindow<N<K>, K, U0, U1, Floor>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    fn try_forward_then(
        &self,
        x: Tensor<(B, N<C>, H, W), f32, Dev, T>,
        squash: Option<Squash>,
        _: bool,
    ) -> Result<Self::Output, Error> {
        let (b, c, h, w) = *x.shape();
        let spec = Pool2dSpec::<K, K, K, K>::new();
        let (g, ho, wo) = crate::ops::pool::geometry(PoolKind::Avg, spec, (b, c, h, w))?;
        Dev::subsample(x, &self.weight, &self.bias, &g, (b, c, ho, wo), squash)
    }
}

/// Which input maps feed which output maps of a [`TableConv2d`].
pub trait ConnectionTable: Send + Sync + 'static {
    /// Whether output map `out` reads input map `inp`.
    fn connected(out: usize, inp: usize) -> bool;
}

/// A convolution whose output map `o` reads only the input maps the table
/// `Tab` connects to it (stride 1, no padding). The unconnected kernels are
/// multiplied by zero, so they neither act nor learn.
pub struct TableConv2d<C: Size, O: Size, K: Size, Tab, E: Dtype, D: Storage<E>> {
    /// The full `(O, C, K, K)` kernel bank; unconnected kernels are masked.
    pub weight: Tensor<(N<O>, N<C>, N<K>, N<K>), E, D>,
    /// One bias per output map.
    pub bias: Tensor<(N<O>,), E, D>,
    table: PhantomData<Tab>,
}

impl<C: Size, O: Size, K: Size, Tab, E: Dtype, D: Storage<E>> Clone
    for TableConv2d<C, O, K, Tab, E, D>
{
    fn clone(&self) -> Self {
        TableConv2d {
            weight: self.weight.clone(),
            bias: self.bias.clone(),
            table: PhantomData,
        }
    }
}

impl<C: Size, O: Size, K: Size, Tab, E: Dtype, D: Storage<E>> FanIn
    for TableConv2d<C, O, K, Tab, E, D>
{
    const FAN_IN: usize = C::USIZE * K::USIZE * K::USIZE;
}

impl<C: Size, O: Size, K: Size, Tab: ConnectionTable, D: Device<f32>> TensorCollection<f32, D>
    for TableConv2d<C, O, K, Tab, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = TableConv2d<C, O, K, Tab, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(weight_and_bias!(), |(weight, bias)| TableConv2d {
            weight,
            bias,
            table: PhantomData,
        })
    }
}

impl<C: Size, O: Size, K: Size, Tab, E: Dtype, D: Storage<E>> dfdx::nn::NonMutableModule
    for TableConv2d<C, O, K, Tab, E, D>
{
}

impl<C: Size, O: Size, K: Size, Tab: ConnectionTable, E: Dtype, D: Storage<E>>
    TableConv2d<C, O, K, Tab, E, D>
{
    /// The 0/1 mask over the kernel bank, laid out like the weight.
    pub fn mask() -> Vec<f32> {
        let taps = K::USIZE * K::USIZE;
        (0..O::USIZE)
            .flat_map(|o| {
                (0..C::USIZE).flat_map(move |c| {
                    core::iter::repeat_n(if Tab::connected(o, c) { 1.0 } else { 0.0 }, taps)
                })
            })
            .collect()
    }

    /// Connected kernels' weights plus biases: the trainable parameter count.
    pub fn connected_params() -> usize {
        let links = (0..O::USIZE)
            .flat_map(|o| (0..C::USIZE).map(move |c| Tab::connected(o, c)))
            .filter(|&l| l)
            .count();
        links * K::USIZE * K::USIZE + O::USIZE
    }
}

impl<B, C, H, W, O, K, Tab, Dev, T> Module<Tensor<(B, N<C>, H, W), f32, Dev, T>>
    for TableConv2d<C, O, K, Tab, f32, Dev>
where
    B: Dim,
    C: Size,
    O: Size,
    K: Size,
    Tab: ConnectionTable,
    N<C>: GroupInputOf<N<C>, U1>,
    H: SlidingWindow<N<K>, U1, U0, U1, Floor>,
    W: SlidingWindow<N<K>, U1, U0, U1, Floor>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(B, N<O>, H::Output, W::Output), f32, Dev, T>;
    type Error = Error;

    fn try_forward(&self, x: Tensor<(B, N<C>, H, W), f32, Dev, T>) -> Result<Self::Output, Error> {
        self.try_forward_then(x, None, false)
    }
}

impl<B, C, H, W, O, K, Tab, Dev, T> SquashedForward<Tensor<(B, N<C>, H, W), f32, Dev, T>>
    for TableConv2d<C, O, K, Tab, f32, Dev>
where
    B: Dim,
    C: Size,
    O: Size,
    K: Size,
    Tab: ConnectionTable,
    N<C>: GroupInputOf<N<C>, U1>,
    H: SlidingWindow<N<K>, U1, U0, U1, Floor>,
    W: SlidingWindow<N<K>, U1, U0, U1, Floor>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    fn try_forward_then(
        &self,
        x: Tensor<(B, N<C>, H, W), f32, Dev, T>,
        squash: Option<Squash>,
        data_input: bool,
    ) -> Result<Self::Output, Error> {
        let mask = self
            .weight
            .device()
            .try_tensor_from_vec(Self::mask(), *self.weight.shape())?;
        // the masked kernels carry their own tape (the product's backward op,
        // which maps the kernels' gradient back onto `weight`); merging it
        // into the input's tape lets the convolution's gradient reach `weight`
        let (masked, weight_tape) = self.weight.retaped::<T>().try_mul(mask)?.split_tape();
        let (x, tape) = x.split_tape();
        let x = x.put_tape(tape.merge(weight_tape));
        let (bias, spec) = (Some(&self.bias), <Conv2dSpec>::new());
        match squash {
            Some(q) => x.try_conv2d_squashed(&masked, bias, spec, q, data_input),
            None if data_input => x.try_conv2d_on_data(&masked, bias, spec),
            None => x.try_conv2d(&masked, bias, spec),
        }
    }
}
