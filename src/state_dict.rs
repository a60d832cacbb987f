//! Loading a PyTorch state dict saved as safetensors
//! (`safetensors.torch.save_file(model.state_dict(), f)`), checked before
//! anything is written.
//!
//! dfdx's own `load_safetensors` copies tensor by tensor and stops at the
//! first problem, leaving a model half loaded, and reads any dtype's bytes
//! as `f32`. [`load_state_dict`] first compares the whole file with the
//! model, so a wrong, truncated or mismatched file is an error that names
//! the file and the first offending tensor, and the model is untouched.

use std::path::Path;

use dfdx::nn::tensor_collection::{
    RecursiveWalker, TensorCollection, TensorOptions, TensorViewer, TensorVisitor, ViewTensorMut,
    ViewTensorName, ViewTensorRef,
};
use dfdx::prelude::{Device, Shape, Tensor};
use dfdx::shapes::HasShape;
use safetensors::{Dtype as SafeDtype, SafeTensors};

use crate::error::Error;

/// What [`load_state_dict`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    /// Tensors copied into the model.
    pub tensors: usize,
    /// Entries of the file deliberately not used: PyTorch's
    /// `num_batches_tracked` counters, which splotnet does not keep.
    pub skipped: Vec<String>,
}

/// Every tensor of `model` with its shape, under its state-dict name.
pub fn tensor_shapes<M: TensorCollection<f32, D>, D: Device<f32>>(
    model: &M,
) -> Vec<(String, Vec<usize>)> {
    let mut names = Names(Vec::new());
    // the visitor never fails
    let _ = M::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: &mut names,
    });
    names.0
}

/// The elements of each tensor `model` trains (those an optimiser
/// updates), in visiting order: what an optimiser's state must match.
pub fn trained_sizes<M: TensorCollection<f32, D>, D: Device<f32>>(model: &M) -> Vec<usize> {
    let mut sizes = Trained(Vec::new());
    // the visitor never fails
    let _ = M::iter_tensors(&mut RecursiveWalker {
        m: model,
        f: &mut sizes,
    });
    sizes.0
}

/// The names and shapes of a safetensors file's tensors, sorted by name;
/// an unreadable or damaged file is an error naming it.
pub fn file_shapes(path: impl AsRef<Path>) -> crate::Result<Vec<(String, Vec<usize>)>> {
    let path = path.as_ref();
    let bad = |m: String| Error::data(path, m);
    let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| {
        bad(format!(
            "not a complete safetensors file ({e:?}); the checkpoint is damaged or was truncated"
        ))
    })?;
    let mut out: Vec<(String, Vec<usize>)> = file
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, t.shape().to_vec()))
        .collect();
    out.sort();
    Ok(out)
}

/// Loads the safetensors file at `path` into `model`, whose state-dict
/// names must be the file's: every tensor of the model present, of its
/// shape and `f32`, and nothing else in the file except PyTorch's
/// `num_batches_tracked` counters. Otherwise an [`Error::Data`] naming the
/// file and the first offending tensor, and `model` is left as it was.
pub fn load_state_dict<M: TensorCollection<f32, D>, D: Device<f32>>(
    model: &mut M,
    path: impl AsRef<Path>,
) -> crate::Result<Loaded> {
    let path = path.as_ref();
    let bad = |m: String| Error::data(path, m);
    let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| {
        bad(format!(
            "not a complete safetensors file ({e:?}); was it truncated, or saved another way?"
        ))
    })?;
    let expected = tensor_shapes(model);
    for (name, shape) in &expected {
        let t = file
            .tensor(name)
            .map_err(|_| bad(format!("missing tensor `{name}` (shape {shape:?})")))?;
        if t.dtype() != SafeDtype::F32 {
            return Err(bad(format!(
                "tensor `{name}` is {:?}; the model holds f32 (convert with `.float()` before saving)",
                t.dtype()
            )));
        }
        if t.shape() != shape.as_slice() {
            return Err(bad(format!(
                "tensor `{name}` has shape {:?} in the file, {shape:?} in the model",
                t.shape()
            )));
        }
    }
    let mut skipped = Vec::new();
    let known: std::collections::HashSet<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
    let mut in_file: Vec<&String> = file.names();
    in_file.sort();
    for name in in_file {
        let name = name.clone();
        if known.contains(name.as_str()) {
            continue;
        }
        if name.ends_with("num_batches_tracked") {
            skipped.push(name);
            continue;
        }
        return Err(bad(format!(
            "unexpected tensor `{name}`: the model has no tensor of that name"
        )));
    }
    let mut copy = Copy { file: &file };
    M::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: &mut copy,
    })
    .map_err(bad)?;
    Ok(Loaded {
        tensors: expected.len(),
        skipped,
    })
}

struct Names(Vec<(String, Vec<usize>)>);

impl<D: Device<f32>> TensorVisitor<f32, D> for Names {
    type Viewer = (ViewTensorRef, ViewTensorName);
    type Err = ();
    type E2 = f32;
    type D2 = D;

    fn visit<S: Shape>(
        &mut self,
        _: TensorOptions<S, f32, D>,
        (t, name): <Self::Viewer as TensorViewer>::View<'_, Tensor<S, f32, D>>,
    ) -> Result<Option<Tensor<S, f32, D>>, ()> {
        self.0
            .push((name, t.shape().concrete().into_iter().collect()));
        Ok(None)
    }
}

struct Trained(Vec<usize>);

impl<D: Device<f32>> TensorVisitor<f32, D> for Trained {
    type Viewer = ViewTensorRef;
    type Err = ();
    type E2 = f32;
    type D2 = D;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, D>,
        t: &Tensor<S, f32, D>,
    ) -> Result<Option<Tensor<S, f32, D>>, ()> {
        if opts.do_gradient_update {
            self.0.push(t.shape().num_elements());
        }
        Ok(None)
    }
}

/// Copies the checked file's tensors into the model.
struct Copy<'a, 'data> {
    file: &'a SafeTensors<'data>,
}

impl<D: Device<f32>> TensorVisitor<f32, D> for Copy<'_, '_> {
    type Viewer = (ViewTensorMut, ViewTensorName);
    type Err = String;
    type E2 = f32;
    type D2 = D;

    fn visit<S: Shape>(
        &mut self,
        _: TensorOptions<S, f32, D>,
        (t, name): <Self::Viewer as TensorViewer>::View<'_, Tensor<S, f32, D>>,
    ) -> Result<Option<Tensor<S, f32, D>>, String> {
        let view = self
            .file
            .tensor(&name)
            .map_err(|e| format!("tensor `{name}`: {e:?}"))?;
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        t.copy_from(&values);
        Ok(None)
    }
}
