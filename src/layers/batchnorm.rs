//! Batch normalisation over the channels of 2D maps (Ioffe & Szegedy, 2015).

use dfdx::prelude::*;

use crate::dims::{Size, N};
use crate::Error;

/// Per channel over the mini-batch and positions:
/// `x̂ = (x - μ_B) / sqrt(σ²_B + ε)`, `y = γ x̂ + β`.
///
/// Training (`ModuleMut`) normalises with the batch's statistics and moves
/// the running ones toward them (`r ← (1-m) r + m·batch`, the variance
/// unbiased), as PyTorch does; inference (`Module`) uses the running ones.
/// Tensors, named as in PyTorch: `weight` (γ), `bias` (β), `running_mean`,
/// `running_var` (the last two are not trained).
pub struct BatchNorm2d<C: Size, E: Dtype, D: Storage<E>> {
    /// γ, the per-channel scale.
    pub weight: Tensor<(N<C>,), E, D>,
    /// β, the per-channel shift.
    pub bias: Tensor<(N<C>,), E, D>,
    /// The running mean used at inference.
    pub running_mean: Tensor<(N<C>,), E, D>,
    /// The running (unbiased) variance used at inference.
    pub running_var: Tensor<(N<C>,), E, D>,
    /// ε, added to the variance (PyTorch's default 1e-5).
    pub epsilon: f32,
    /// m, the running statistics' update rate (PyTorch's default 0.1).
    pub momentum: f32,
}

impl<C: Size, E: Dtype, D: Storage<E>> Clone for BatchNorm2d<C, E, D> {
    fn clone(&self) -> Self {
        BatchNorm2d {
            weight: self.weight.clone(),
            bias: self.bias.clone(),
            running_mean: self.running_mean.clone(),
            running_var: self.running_var.clone(),
            epsilon: self.epsilon,
            momentum: self.momentum,
        }
    }
}

impl<C: Size, E: Dtype, D: Storage<E>> BatchNorm2d<C, E, D> {
    /// The layer with `eps` and `momentum` set: `network!`'s
    /// `batch_norm(eps = .., momentum = ..)` (GoogLeNet uses eps 0.001).
    pub fn configured(mut self, epsilon: f32, momentum: f32) -> Self {
        self.epsilon = epsilon;
        self.momentum = momentum;
        self
    }
}

impl<C: Size, E: Dtype, D: Storage<E>> core::fmt::Debug for BatchNorm2d<C, E, D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "BatchNorm2d({}, eps={}, momentum={})",
            C::USIZE,
            self.epsilon,
            self.momentum
        )
    }
}

impl<C: Size, D: Device<f32>> TensorCollection<f32, D> for BatchNorm2d<C, f32, D> {
    type To<E2: Dtype, D2: Device<E2>> = BatchNorm2d<C, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor(
                    "weight",
                    |s| &s.weight,
                    |s| &mut s.weight,
                    TensorOptions::reset_to_ones(),
                ),
                Self::tensor(
                    "bias",
                    |s| &s.bias,
                    |s| &mut s.bias,
                    TensorOptions::reset_to_zeros(),
                ),
                Self::tensor(
                    "running_mean",
                    |s| &s.running_mean,
                    |s| &mut s.running_mean,
                    TensorOptions::detached(|t| t.try_fill_with_zeros()),
                ),
                Self::tensor(
                    "running_var",
                    |s| &s.running_var,
                    |s| &mut s.running_var,
                    TensorOptions::detached(|t| t.try_fill_with_ones()),
                ),
            ),
            |(weight, bias, running_mean, running_var)| BatchNorm2d {
                weight,
                bias,
                running_mean,
                running_var,
                epsilon: 1e-5,
                momentum: 0.1,
            },
        )
    }
}

impl<B: Dim, C: Size, H: Dim, W: Dim, Dev: crate::ops::Backend, T: Tape<f32, Dev>>
    Module<Tensor<(B, N<C>, H, W), f32, Dev, T>> for BatchNorm2d<C, f32, Dev>
{
    type Output = Tensor<(B, N<C>, H, W), f32, Dev, T>;
    type Error = Error;

    /// Inference: normalise with the running statistics.
    fn try_forward(&self, x: Tensor<(B, N<C>, H, W), f32, Dev, T>) -> Result<Self::Output, Error> {
        let (b, c, h, w) = *x.shape();
        Dev::batch_norm_eval(
            x,
            &self.weight,
            &self.bias,
            (&self.running_mean, &self.running_var),
            self.epsilon,
            [b.size(), c.size(), h.size() * w.size()],
        )
    }
}

impl<B: Dim, C: Size, H: Dim, W: Dim, Dev: crate::ops::Backend, T: Tape<f32, Dev>>
    ModuleMut<Tensor<(B, N<C>, H, W), f32, Dev, T>> for BatchNorm2d<C, f32, Dev>
{
    type Output = Tensor<(B, N<C>, H, W), f32, Dev, T>;
    type Error = Error;

    /// Training: normalise with the batch's statistics, update the running ones.
    fn try_forward_mut(
        &mut self,
        x: Tensor<(B, N<C>, H, W), f32, Dev, T>,
    ) -> Result<Self::Output, Error> {
        let (b, c, h, w) = *x.shape();
        Dev::batch_norm_train(
            x,
            &self.weight,
            &self.bias,
            (&mut self.running_mean, &mut self.running_var),
            self.epsilon,
            self.momentum,
            [b.size(), c.size(), h.size() * w.size()],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};
    use typenum::{U3, U4};

    type X = Tensor<(usize, N<U3>, N<U4>, N<U4>), f32, Cpu>;

    #[test]
    fn training_gradients_match_finite_differences() {
        let dev: Cpu = Default::default();
        let mut bn = BatchNorm2d::<U3, f32, Cpu>::build(&dev);
        bn.weight = dev.tensor_from_vec(vec![0.5, 1.5, -1.0], (N::new(),));
        bn.bias = dev.tensor_from_vec(vec![0.1, -0.2, 0.3], (N::new(),));
        let xv = values(2 * 3 * 16, 4);
        let r = values(xv.len(), 5);
        let x: X = dev.tensor_from_vec(xv.clone(), (2, N::new(), N::new(), N::new()));
        let y = bn.try_forward_mut(x.leaky_trace()).unwrap();
        let grads = weighted_loss(y, &r).backward();
        let mut probe = bn.clone();
        let loss = |v: &[f32], probe: &mut BatchNorm2d<U3, f32, Cpu>| {
            let x: X = dev.tensor_from_vec(v.to_vec(), (2, N::new(), N::new(), N::new()));
            weighted_sum(&probe.try_forward_mut(x).unwrap().as_vec(), &r)
        };
        let numeric = numeric_grad(&xv, 1e-2, |v| loss(v, &mut probe));
        assert_close(&grads.get(&x).as_vec(), &numeric, 5e-3, "dx");
        let gamma = bn.weight.as_vec();
        let numeric_gamma = numeric_grad(&gamma, 1e-2, |g| {
            let mut p = bn.clone();
            p.weight = dev.tensor_from_vec(g.to_vec(), (N::new(),));
            loss(&xv, &mut p)
        });
        assert_close(
            &grads.get(&bn.weight).as_vec(),
            &numeric_gamma,
            5e-3,
            "dgamma",
        );
    }
}
