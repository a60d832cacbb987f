//! Highway layers (Srivastava, Greff & Schmidhuber, "Training Very Deep
//! Networks", 2015): `y = T(x) · H(x) + (1 - T(x)) · x` with a learned
//! transform gate `T(x) = sigmoid(W_T x + b_T)`.

use dfdx::prelude::*;

use super::{uniform_init, Conv2d, FanIn, Linear};
use crate::dims::Size;
use crate::{Error, Result};

/// The transform gate `T(x) = sigmoid(transform(x))` of a highway layer.
///
/// `transform` maps `x` to its own shape: a `Conv2d` from `C` to `C` maps
/// with "same" padding, or a `Linear` from `F` to `F` features. The bias
/// starts at `BIAS_MILLI / 1000` (negative), so a new layer mostly carries
/// its input through: the paper's initialisation, which lets very deep
/// highway networks train. Parameters are named `weight` and `bias`.
#[derive(Clone, Debug)]
pub struct HighwayGate<L, const BIAS_MILLI: i32> {
    /// The gate's affine map before the sigmoid.
    pub transform: L,
}

impl<L, const BIAS_MILLI: i32> HighwayGate<L, BIAS_MILLI> {
    /// The initial gate bias.
    pub const INITIAL_BIAS: f32 = BIAS_MILLI as f32 / 1000.0;
}

/// Every bias entry at `BIAS_MILLI / 1000`.
fn gate_bias<S: ConstShape, D: Device<f32>, const BIAS_MILLI: i32>() -> TensorOptions<S, f32, D> {
    TensorOptions::reset_with(|t| {
        let b = BIAS_MILLI as f32 / 1000.0;
        t.try_fill_with_distr(rand::distributions::Uniform::new_inclusive(b, b))
    })
}

impl<C: Size, K: Size, Spec: 'static, D: Device<f32>, const BIAS_MILLI: i32>
    TensorCollection<f32, D> for HighwayGate<Conv2d<C, C, K, K, Spec, f32, D>, BIAS_MILLI>
{
    type To<E2: Dtype, D2: Device<E2>> = HighwayGate<Conv2d<C, C, K, K, Spec, E2, D2>, BIAS_MILLI>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> core::result::Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor(
                    "weight",
                    |s| &s.transform.weight,
                    |s| &mut s.transform.weight,
                    uniform_init::<Conv2d<C, C, K, K, Spec, f32, D>, _, _>(),
                ),
                Self::tensor(
                    "bias",
                    |s| &s.transform.bias,
                    |s| &mut s.transform.bias,
                    gate_bias::<_, _, BIAS_MILLI>(),
                ),
            ),
            |(weight, bias)| HighwayGate {
                transform: Conv2d::from_parts(weight, bias),
            },
        )
    }
}

impl<F: Size, D: Device<f32>, const BIAS_MILLI: i32> TensorCollection<f32, D>
    for HighwayGate<Linear<F, F, f32, D>, BIAS_MILLI>
{
    type To<E2: Dtype, D2: Device<E2>> = HighwayGate<Linear<F, F, E2, D2>, BIAS_MILLI>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> core::result::Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor(
                    "weight",
                    |s| &s.transform.weight,
                    |s| &mut s.transform.weight,
                    uniform_init::<Linear<F, F, f32, D>, _, _>(),
                ),
                Self::tensor(
                    "bias",
                    |s| &s.transform.bias,
                    |s| &mut s.transform.bias,
                    gate_bias::<_, _, BIAS_MILLI>(),
                ),
            ),
            |(weight, bias)| HighwayGate {
                transform: Linear { weight, bias },
            },
        )
    }
}

impl<L: FanIn, const BIAS_MILLI: i32> FanIn for HighwayGate<L, BIAS_MILLI> {
    const FAN_IN: usize = L::FAN_IN;
}

impl<L, const BIAS_MILLI: i32> dfdx::nn::NonMutableModule for HighwayGate<L, BIAS_MILLI> {}

impl<L, S, Dev, T, const BIAS_MILLI: i32> Module<Tensor<S, f32, Dev, T>>
    for HighwayGate<L, BIAS_MILLI>
where
    L: Module<Tensor<S, f32, Dev, T>, Output = Tensor<S, f32, Dev, T>, Error = Error>,
    S: Shape,
    Dev: crate::ops::Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<S, f32, Dev, T>;
    type Error = Error;

    fn try_forward(&self, x: Tensor<S, f32, Dev, T>) -> Result<Self::Output> {
        Ok(self.transform.try_forward(x)?.try_sigmoid()?)
    }
}

/// The highway mix `t · h + (1 - t) · x`, computed as `x + t · (h - x)`.
///
/// `h` is the body's output, `t` the gate's, `carry` the block's input; for
/// runtime (`usize`) sizes their shapes are checked, since dfdx's arithmetic
/// panics on a mismatch.
pub fn highway_mix<S: Shape, D: crate::ops::Backend, T: Tape<f32, D>>(
    h: Tensor<S, f32, D, T>,
    t: Tensor<S, f32, D, T>,
    carry: Tensor<S, f32, D, T>,
) -> Result<Tensor<S, f32, D, T>> {
    let shapes = [
        h.shape().concrete(),
        t.shape().concrete(),
        carry.shape().concrete(),
    ];
    if shapes.iter().any(|s| s.as_ref() != shapes[0].as_ref()) {
        return Err(Error::shape(
            "highway",
            format!(
                "body {:?}, gate {:?} and input {:?} must agree",
                shapes[0].as_ref(),
                shapes[1].as_ref(),
                shapes[2].as_ref()
            ),
        ));
    }
    let carried = carry.with_empty_tape();
    let change = h.try_sub(carry)?;
    Ok(t.try_mul(change)?.try_add(carried)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_is_gate_times_body_plus_carried_input() {
        let dev: Cpu = Default::default();
        let h: Tensor<Rank1<4>, f32, Cpu> = dev.tensor([1.0, 2.0, 3.0, 4.0]);
        let t: Tensor<Rank1<4>, f32, Cpu> = dev.tensor([0.0, 1.0, 0.5, 0.25]);
        let x: Tensor<Rank1<4>, f32, Cpu> = dev.tensor([10.0, 20.0, 30.0, 40.0]);
        let y = highway_mix(h, t, x).unwrap();
        // t·h + (1-t)·x per element
        assert_eq!(y.array(), [10.0, 2.0, 16.5, 31.0]);
    }

    #[test]
    fn mix_gradients_are_the_gate_its_complement_and_the_difference() {
        let dev: Cpu = Default::default();
        let h: Tensor<Rank1<4>, f32, Cpu> = dev.tensor([1.0, 2.0, 3.0, 4.0]);
        let t: Tensor<Rank1<4>, f32, Cpu> = dev.tensor([0.0, 1.0, 0.5, 0.25]);
        let x: Tensor<Rank1<4>, f32, Cpu> = dev.tensor([10.0, 20.0, 30.0, 40.0]);
        let tape = || x.retaped::<OwnedTape<f32, Cpu>>();
        let grad_h = highway_mix(h.leaky_trace(), t.retaped(), tape())
            .unwrap()
            .sum()
            .backward();
        assert_eq!(grad_h.get(&h).array(), t.array(), "dy/dh = t");
        let grad_x = highway_mix(h.retaped(), t.retaped(), x.leaky_trace())
            .unwrap()
            .sum()
            .backward();
        assert_eq!(
            grad_x.get(&x).array(),
            [1.0, 0.0, 0.5, 0.75],
            "dy/dx = 1 - t"
        );
        let grad_t = highway_mix(h.retaped(), t.leaky_trace(), tape())
            .unwrap()
            .sum()
            .backward();
        assert_eq!(
            grad_t.get(&t).array(),
            [-9.0, -18.0, -27.0, -36.0],
            "dy/dt = h - x"
        );
    }
}
