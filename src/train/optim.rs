//! SGD with momentum and Adam, with state that can be saved and restored,
//! so a resumed run continues exactly where it stopped.
//!
//! dfdx's own optimisers keep their state (SGD's velocity, Adam's moments
//! and step count) private, which rules out an exact resume; these keep it
//! in plain vectors, one slot per trained tensor in the model's visiting
//! order, and write it to safetensors with the run's metadata.

use dfdx::nn::tensor_collection::{RecursiveWalker, TensorOptions, TensorVisitor, ViewTensorMut};
use dfdx::prelude::*;
use std::collections::HashMap;
use std::path::Path;

use super::OptimizerKind;
use crate::Error;

/// Adam's decay rates and ε, PyTorch's defaults.
const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const ADAM_EPS: f32 = 1e-8;

/// An optimiser and its per-parameter state.
#[derive(Clone, Debug, PartialEq)]
pub struct Optimizer {
    kind: OptimizerKind,
    /// The learning rate of the next update.
    pub lr: f32,
    weight_decay: f32,
    /// Updates taken (Adam's bias correction needs it).
    steps: u64,
    /// SGD: the velocity; Adam: the first moment.
    first: Vec<Vec<f32>>,
    /// Adam: the second moment.
    second: Vec<Vec<f32>>,
}

impl Optimizer {
    /// A fresh optimiser: zero state.
    pub fn new(kind: OptimizerKind, lr: f32, weight_decay: f32) -> Self {
        Optimizer {
            kind,
            lr,
            weight_decay,
            steps: 0,
            first: vec![],
            second: vec![],
        }
    }

    /// Updates every trained tensor of `model` from `grads` (as allocated by
    /// `alloc_grads`, which holds a gradient for each of them):
    /// SGD `v ← μv + g + λp, p ← p - lr·v`; Nesterov's `p ← p - lr·(g +
    /// λp + μv)` with that `v`; Adam with bias correction (`λp` added to
    /// the gradient); AdamW with `p ← p·(1 - lr·λ)` first instead.
    pub fn update<M: TensorCollection<f32, D>, D: Device<f32>>(
        &mut self,
        model: &mut M,
        grads: &Gradients<f32, D>,
    ) -> crate::Result<()> {
        self.steps += 1;
        let mut walker = Updater {
            opt: self,
            grads,
            slot: 0,
        };
        M::iter_tensors(&mut RecursiveWalker {
            m: model,
            f: &mut walker,
        })?;
        Ok(())
    }

    fn step(&mut self, slot: usize, p: &mut [f32], g: &[f32]) {
        if self.first.len() <= slot {
            self.first.resize(slot + 1, vec![]);
            self.second.resize(slot + 1, vec![]);
        }
        let (lr, wd) = (self.lr, self.weight_decay);
        let m = &mut self.first[slot];
        m.resize(p.len(), 0.0);
        match self.kind {
            OptimizerKind::Sgd { momentum } => {
                for ((p, &g), v) in p.iter_mut().zip(g).zip(m.iter_mut()) {
                    *v = momentum * *v + g + wd * *p;
                    *p -= lr * *v;
                }
            }
            OptimizerKind::Nesterov { momentum } => {
                for ((p, &g), v) in p.iter_mut().zip(g).zip(m.iter_mut()) {
                    let g = g + wd * *p;
                    *v = momentum * *v + g;
                    *p -= lr * (g + momentum * *v);
                }
            }
            OptimizerKind::Adam | OptimizerKind::AdamW => {
                let decoupled = self.kind == OptimizerKind::AdamW;
                let v = &mut self.second[slot];
                v.resize(p.len(), 0.0);
                let t = self.steps as i32;
                let (c1, c2) = (1.0 - BETA1.powi(t), 1.0 - BETA2.powi(t));
                for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                    let g = if decoupled {
                        *p *= 1.0 - lr * wd;
                        g
                    } else {
                        g + wd * *p
                    };
                    *m = BETA1 * *m + (1.0 - BETA1) * g;
                    *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                    *p -= lr * (*m / c1) / ((*v / c2).sqrt() + ADAM_EPS);
                }
            }
        }
    }

    /// Writes the state and `metadata` to `path` (safetensors).
    pub fn save(&self, path: &Path, metadata: HashMap<String, String>) -> crate::Result<()> {
        let mut meta = metadata;
        meta.insert("optimizer".into(), self.kind_name().into());
        meta.insert("steps".into(), self.steps.to_string());
        meta.insert("slots".into(), self.first.len().to_string());
        meta.insert("checksum".into(), self.checksum());
        let bytes: Vec<(String, Vec<u8>)> = self
            .first
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("first.{i:04}"), s))
            .chain(
                self.second
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !s.is_empty())
                    .map(|(i, s)| (format!("second.{i:04}"), s)),
            )
            .map(|(name, s)| (name, s.iter().flat_map(|v| v.to_le_bytes()).collect()))
            .collect();
        let views = bytes
            .iter()
            .map(|(name, b)| {
                ::safetensors::tensor::TensorView::new(
                    ::safetensors::Dtype::F32,
                    vec![b.len() / 4],
                    b,
                )
                .map(|v| (name.clone(), v))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::data(path, format!("cannot encode the optimiser state: {e:?}")))?;
        let out = ::safetensors::tensor::serialize(views, &Some(meta))
            .map_err(|e| Error::data(path, format!("cannot encode the optimiser state: {e:?}")))?;
        crate::io::write_atomically(path, &out)
    }

    /// Reads the state written by [`Optimizer::save`] for an optimiser of
    /// this kind, returning the file's metadata. A file of another kind, a
    /// corrupt file or a truncated one is an error naming it.
    pub fn load(&mut self, path: &Path) -> crate::Result<HashMap<String, String>> {
        let bad = |m: String| Error::data(path, m);
        let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
        let st = ::safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| bad(format!("not a valid optimiser state file: {e:?}")))?;
        let (_, header) = ::safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| bad(format!("not a valid optimiser state file: {e:?}")))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let field = |k: &str| {
            meta.get(k)
                .ok_or_else(|| bad(format!("the optimiser state lacks `{k}`")))
        };
        if field("optimizer")? != self.kind_name() {
            return Err(bad(format!(
                "the state is for {}, but this run uses {}",
                field("optimizer")?,
                self.kind_name()
            )));
        }
        let number = |k: &str| -> crate::Result<u64> {
            field(k)?
                .parse()
                .map_err(|_| bad(format!("`{k}` is not a number")))
        };
        let (steps, slots) = (number("steps")?, number("slots")? as usize);
        let read = |name: String| -> crate::Result<Vec<f32>> {
            let t = st
                .tensor(&name)
                .map_err(|e| bad(format!("missing `{name}`: {e:?}")))?;
            if t.dtype() != ::safetensors::Dtype::F32 {
                return Err(bad(format!("`{name}` is not f32")));
            }
            Ok(t.data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        };
        let first = (0..slots)
            .map(|i| read(format!("first.{i:04}")))
            .collect::<crate::Result<Vec<_>>>()?;
        let second = match self.kind {
            OptimizerKind::Adam | OptimizerKind::AdamW => (0..slots)
                .map(|i| read(format!("second.{i:04}")))
                .collect::<crate::Result<Vec<_>>>()?,
            OptimizerKind::Sgd { .. } | OptimizerKind::Nesterov { .. } => vec![vec![]; slots],
        };
        let loaded = Optimizer {
            steps,
            first,
            second,
            ..self.clone()
        };
        if field("checksum")? != &loaded.checksum() {
            return Err(bad(
                "the optimiser state is corrupt: its values do not match the checksum saved with them".into(),
            ));
        }
        *self = loaded;
        Ok(meta)
    }

    /// FNV-1a of the step count and every state value: a flipped bit in
    /// the file changes it.
    fn checksum(&self) -> String {
        let mut bytes = self.steps.to_le_bytes().to_vec();
        for slot in self.first.iter().chain(&self.second) {
            bytes.extend((slot.len() as u64).to_le_bytes());
            bytes.extend(slot.iter().flat_map(|v| v.to_le_bytes()));
        }
        super::checkpoint::fnv(&bytes)
    }

    /// Checks the loaded state against `model`'s trained tensors: one slot
    /// per tensor, each as long as it (a state from another network, or
    /// one of the right kind but the wrong shapes, is refused).
    pub fn check_against<M: TensorCollection<f32, D>, D: Device<f32>>(
        &self,
        model: &M,
        path: &Path,
    ) -> crate::Result<()> {
        let sizes: Vec<usize> = crate::state_dict::trained_sizes(model);
        // a fresh state (no step taken) has no slots yet
        if self.first.is_empty() {
            return Ok(());
        }
        let lens: Vec<usize> = self.first.iter().map(Vec::len).collect();
        if lens != sizes {
            return Err(Error::data(
                path,
                format!(
                    "the optimiser state holds {} slots of sizes {:?}, but the model trains {} tensors of sizes {:?}",
                    lens.len(),
                    lens,
                    sizes.len(),
                    sizes
                ),
            ));
        }
        Ok(())
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            OptimizerKind::Sgd { .. } => "sgd",
            OptimizerKind::Nesterov { .. } => "nesterov",
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
        }
    }
}

/// Visits the model's trained tensors in order, slot by slot.
struct Updater<'a, D: Device<f32>> {
    opt: &'a mut Optimizer,
    grads: &'a Gradients<f32, D>,
    slot: usize,
}

impl<D: Device<f32>> TensorVisitor<f32, D> for Updater<'_, D> {
    type Viewer = ViewTensorMut;
    type Err = Error;
    type E2 = f32;
    type D2 = D;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, D>,
        p: &mut Tensor<S, f32, D>,
    ) -> Result<Option<Tensor<S, f32, D>>, Error> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        let g = self.grads.get(p).as_vec();
        let mut values = p.as_vec();
        if values.len() != g.len() {
            return Err(Error::Device(format!(
                "a gradient of {} values for a parameter of {}",
                g.len(),
                values.len()
            )));
        }
        self.opt.step(self.slot, &mut values, &g);
        p.copy_from(&values);
        self.slot += 1;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PyTorch's algorithms as its documentation writes them, in f64:
    /// `torch.optim.SGD` (with `nesterov`), `Adam` and `AdamW`.
    fn reference(kind: OptimizerKind, lr: f64, wd: f64, p: &mut [f64], grads: &[Vec<f64>]) {
        let (mut b, mut m, mut v) = (vec![0.0; p.len()], vec![0.0; p.len()], vec![0.0; p.len()]);
        let (b1, b2, eps) = (BETA1 as f64, BETA2 as f64, ADAM_EPS as f64);
        for (t, g) in grads.iter().enumerate() {
            let t = t as i32 + 1;
            for i in 0..p.len() {
                match kind {
                    OptimizerKind::Sgd { momentum } | OptimizerKind::Nesterov { momentum } => {
                        let mu = momentum as f64;
                        let g = g[i] + wd * p[i];
                        b[i] = if t == 1 { g } else { mu * b[i] + g };
                        let step = match kind {
                            OptimizerKind::Nesterov { .. } => g + mu * b[i],
                            _ => b[i],
                        };
                        p[i] -= lr * step;
                    }
                    OptimizerKind::Adam | OptimizerKind::AdamW => {
                        let g = if kind == OptimizerKind::AdamW {
                            p[i] -= lr * wd * p[i];
                            g[i]
                        } else {
                            g[i] + wd * p[i]
                        };
                        m[i] = b1 * m[i] + (1.0 - b1) * g;
                        v[i] = b2 * v[i] + (1.0 - b2) * g * g;
                        let (mh, vh) = (m[i] / (1.0 - b1.powi(t)), v[i] / (1.0 - b2.powi(t)));
                        p[i] -= lr * mh / (vh.sqrt() + eps);
                    }
                }
            }
        }
    }

    #[test]
    fn every_optimiser_follows_pytorchs_update_rule() {
        let start = [0.5f32, -1.5, 2.0];
        let grads: Vec<Vec<f32>> = vec![
            vec![0.1, -0.2, 0.3],
            vec![-0.4, 0.5, 0.6],
            vec![0.7, 0.1, -0.9],
        ];
        let kinds = [
            OptimizerKind::Sgd { momentum: 0.9 },
            OptimizerKind::Nesterov { momentum: 0.9 },
            OptimizerKind::Adam,
            OptimizerKind::AdamW,
        ];
        for kind in kinds {
            let (lr, wd) = (0.1f32, 0.01f32);
            let mut opt = Optimizer::new(kind, lr, wd);
            let mut p = start.to_vec();
            for g in &grads {
                opt.steps += 1;
                opt.step(0, &mut p, g);
            }
            let mut want: Vec<f64> = start.iter().map(|v| *v as f64).collect();
            let g64: Vec<Vec<f64>> = grads
                .iter()
                .map(|g| g.iter().map(|v| *v as f64).collect())
                .collect();
            reference(kind, lr as f64, wd as f64, &mut want, &g64);
            for (a, b) in p.iter().zip(&want) {
                assert!((*a as f64 - b).abs() < 1e-5, "{kind:?}: {p:?} vs {want:?}");
            }
        }
        // Nesterov and AdamW differ from their plain forms
        let after = |kind| {
            let mut opt = Optimizer::new(kind, 0.1, 0.01);
            let mut p = start.to_vec();
            for g in &grads {
                opt.steps += 1;
                opt.step(0, &mut p, g);
            }
            p
        };
        assert_ne!(after(kinds[0]), after(kinds[1]));
        assert_ne!(after(kinds[2]), after(kinds[3]));
    }
}
