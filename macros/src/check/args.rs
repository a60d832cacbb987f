//! A layer's arguments, consumed by name, and the window rules they state.

use syn::{Error, Ident};

use super::plan::*;
use super::{err, label};
use crate::parse::{Arg, Layer, Value};

/// The arguments of one layer, consumed by name; leftovers are errors.
pub(super) struct Args<'a> {
    pub(super) layer: &'a Layer,
    /// Windows slide along a sequence: one axis, the height fixed at 1.
    pub(super) seq: bool,
    positional: Vec<&'a Value>,
    named: Vec<(&'a Ident, &'a Value, bool)>,
    flags: Vec<(&'a Ident, bool)>,
}

impl<'a> Args<'a> {
    pub(super) fn new(layer: &'a Layer) -> Self {
        let mut a = Args {
            layer,
            seq: false,
            positional: vec![],
            named: vec![],
            flags: vec![],
        };
        for arg in &layer.args {
            match arg {
                Arg::Positional(v) => a.positional.push(v),
                Arg::Named(k, v) => a.named.push((k, v, false)),
                Arg::Flag(f) => a.flags.push((f, false)),
            }
        }
        a
    }

    pub(super) fn take(&mut self, key: &str) -> Option<&'a Value> {
        self.named
            .iter_mut()
            .find(|(k, _, used)| *k == key && !*used)
            .map(|(_, v, used)| {
                *used = true;
                *v
            })
    }

    pub(super) fn flag(&mut self, key: &str) -> bool {
        self.flags
            .iter_mut()
            .find(|(f, used)| *f == key && !*used)
            .map(|(_, used)| *used = true)
            .is_some()
    }

    /// A first argument that is a bare name (`block(Basic)`, `conv(C, ..)`),
    /// taken.
    pub(super) fn leading_word(&mut self) -> Option<&'a Ident> {
        match self.layer.args.first()? {
            Arg::Flag(f) => {
                let f: &'a Ident = f;
                self.flag(&f.to_string());
                Some(f)
            }
            _ => None,
        }
    }

    pub(super) fn count(&self, what: &str) -> syn::Result<Option<u64>> {
        match self.positional.first() {
            None => Ok(None),
            Some(Value::Int(n, s)) => {
                if *n == 0 {
                    return err(
                        *s,
                        format!("{}: the {what} must be at least 1", label(self.layer)),
                    );
                }
                Ok(Some(*n))
            }
            Some(v) => err(
                v.span(),
                format!("{}: expected the {what} as a number", label(self.layer)),
            ),
        }
    }

    pub(super) fn required_count(&self, what: &str, example: &str) -> syn::Result<u64> {
        self.count(what)?.ok_or_else(|| {
            Error::new(
                self.layer.args_span,
                format!(
                    "{}: missing the {what}, e.g. `{example}`",
                    label(self.layer)
                ),
            )
        })
    }

    /// A per-axis integer: `k = 3` or `k = (3, 5)`.
    /// On a sequence, one number `n` for the only axis, returned as `(1, n)`
    /// (`p` and `op` as `(0, n)`): the sequence is viewed as `C x 1 x L`.
    pub(super) fn pair(
        &mut self,
        key: &str,
        default: Option<(u64, u64)>,
    ) -> syn::Result<(u64, u64)> {
        if self.seq {
            let neutral = if matches!(key, "p" | "op") { 0 } else { 1 };
            return match self.take(key) {
                Some(Value::Int(n, _)) => Ok((neutral, *n)),
                Some(v) => err(
                    v.span(),
                    format!(
                        "{}: on a sequence `{key}` takes one number",
                        label(self.layer)
                    ),
                ),
                None => default.map(|(_, n)| (neutral, n)).ok_or_else(|| {
                    Error::new(
                        self.layer.args_span,
                        format!(
                            "{}: missing argument `{key}`, e.g. `{key} = 3`",
                            label(self.layer)
                        ),
                    )
                }),
            };
        }
        match self.take(key) {
            Some(Value::Int(n, _)) => Ok((*n, *n)),
            Some(Value::Pair(a, b, _)) => Ok((*a, *b)),
            Some(v) => err(
                v.span(),
                format!(
                    "{}: `{key}` takes a number or a pair `(h, w)`",
                    label(self.layer)
                ),
            ),
            None => default.ok_or_else(|| {
                Error::new(
                    self.layer.args_span,
                    format!(
                        "{}: missing argument `{key}`, e.g. `{key} = 3`",
                        label(self.layer)
                    ),
                )
            }),
        }
    }

    /// `key = true` or `key = false`.
    pub(super) fn boolean(&mut self, key: &str, default: bool) -> syn::Result<bool> {
        match self.take(key) {
            Some(Value::Bool(b, _)) => Ok(*b),
            Some(v) => err(
                v.span(),
                format!("{}: `{key}` takes `true` or `false`", label(self.layer)),
            ),
            None => Ok(default),
        }
    }

    pub(super) fn float(&mut self, key: &str, default: f64) -> syn::Result<f64> {
        match self.take(key) {
            Some(Value::Float(f, _)) => Ok(*f),
            Some(Value::Int(n, _)) => Ok(*n as f64),
            Some(v) => err(
                v.span(),
                format!("{}: `{key}` takes a number", label(self.layer)),
            ),
            None => Ok(default),
        }
    }

    pub(super) fn finish(self) -> syn::Result<()> {
        if let Some(v) = self.positional.get(1) {
            return err(
                v.span(),
                format!("{}: unexpected extra argument", label(self.layer)),
            );
        }
        if let Some((k, _, _)) = self.named.iter().find(|(_, _, used)| !used) {
            return err(
                k.span(),
                format!("{}: unknown argument `{k}`", label(self.layer)),
            );
        }
        if let Some((f, _)) = self.flags.iter().find(|(_, used)| !used) {
            return err(
                f.span(),
                format!("{}: unknown flag `{f}`", label(self.layer)),
            );
        }
        Ok(())
    }
}

pub(super) fn window(args: &mut Args, default_stride_is_kernel: bool) -> syn::Result<Window> {
    let k = args.pair("k", None)?;
    if k.0 == 0 || k.1 == 0 {
        return err(
            args.layer.args_span,
            format!("{}: the kernel must be at least 1", label(args.layer)),
        );
    }
    let s = args.pair("s", Some(if default_stride_is_kernel { k } else { (1, 1) }))?;
    let d = args.pair("d", Some((1, 1)))?;
    let p = match args.take("p") {
        Some(Value::Word(w)) if w == "same" => {
            for kk in [k.0, k.1] {
                if kk % 2 == 0 {
                    return err(
                        w.span(),
                        format!("{}: \"same\" padding needs an odd kernel, got {kk}: the padding (K-1)/2 would not be whole", label(args.layer)),
                    );
                }
            }
            (d.0 * (k.0 - 1) / 2, d.1 * (k.1 - 1) / 2)
        }
        Some(Value::Int(n, _)) if args.seq => (0, *n),
        Some(Value::Int(n, _)) => (*n, *n),
        Some(v) if args.seq => {
            return err(
                v.span(),
                format!(
                    "{}: on a sequence `p` takes one number or `same`",
                    label(args.layer)
                ),
            )
        }
        Some(Value::Pair(a, b, _)) => (*a, *b),
        Some(v) => {
            return err(
                v.span(),
                format!(
                    "{}: `p` takes a number, a pair or `same`",
                    label(args.layer)
                ),
            )
        }
        None => (0, 0),
    };
    if s.0 == 0 || s.1 == 0 || d.0 == 0 || d.1 == 0 {
        return err(
            args.layer.args_span,
            format!(
                "{}: stride and dilation must be at least 1",
                label(args.layer)
            ),
        );
    }
    let exact = args.flag("exact");
    Ok(Window { k, s, p, d, exact })
}

/// `inputs = n`: an optional statement of what a layer expects, checked.
pub(super) fn expect_inputs(
    args: &mut Args,
    actual: u64,
    what: &str,
    source: &str,
) -> syn::Result<()> {
    match args.take("inputs") {
        Some(Value::Int(n, s)) if *n != actual => err(
            *s,
            format!(
                "{}: expects {n} {what}, {source} {actual}",
                label(args.layer)
            ),
        ),
        Some(Value::Int(..)) | None => Ok(()),
        Some(v) => err(
            v.span(),
            format!("{}: `inputs` takes a number", label(args.layer)),
        ),
    }
}

pub(super) fn layer_follows_flatten(input: Shape) -> bool {
    matches!(input, Shape::Flat(_))
}
