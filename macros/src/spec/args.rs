//! A layer's arguments, consumed by name; what is left over is reported.

use proc_macro2::Span;
use syn::Ident;

use super::{both, depth, label, Inputs, Pad, PerAxis, WinSpec};
use crate::diag::Ctxt;
use crate::parse::{Arg, Layer, SizeExpr, Value};

/// The arguments of one layer, consumed by name; what is left over is an
/// error.
pub(super) struct Args<'a> {
    pub(super) cx: &'a Ctxt,
    pub(super) layer: &'a Layer,
    pub(super) positional: Vec<&'a Value>,
    named: Vec<(&'a Ident, &'a Value, bool)>,
    flags: Vec<(&'a Ident, bool)>,
}

impl<'a> Args<'a> {
    pub(super) fn new(cx: &'a Ctxt, layer: &'a Layer) -> Self {
        let mut a = Args {
            cx,
            layer,
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

    /// An error about this layer, prefixed with its label.
    pub(super) fn error(&self, span: Span, msg: impl std::fmt::Display) {
        self.cx.error(span, format!("{}: {msg}", label(self.layer)));
    }

    /// Marks everything used: an unknown kind's arguments are not reported.
    pub(super) fn silence(&mut self) {
        self.positional.clear();
        self.named.iter_mut().for_each(|n| n.2 = true);
        self.flags.iter_mut().for_each(|f| f.1 = true);
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

    /// The first positional argument, or a first bare word, taken.
    pub(super) fn leading(&mut self) -> Option<Value> {
        match self.layer.args.first()? {
            Arg::Flag(f) => {
                self.flag(&f.to_string());
                Some(Value::Word(f.clone()))
            }
            Arg::Positional(v) => {
                self.positional.remove(0);
                Some(v.clone())
            }
            Arg::Named(..) => None,
        }
    }

    /// The next positional argument after the leading one, taken.
    pub(super) fn next_positional(&mut self) -> Option<Value> {
        (!self.positional.is_empty()).then(|| self.positional.remove(0).clone())
    }

    /// The leading count or size expression (`16`, `C`, `C / 4`).
    pub(super) fn required_size(&mut self, what: &str, example: &str) -> Option<SizeExpr> {
        let l = label(self.layer);
        match self.leading() {
            Some(Value::Int(0, s)) => {
                self.error(s, format!("the {what} must be at least 1"));
                None
            }
            Some(Value::Int(n, s)) => Some(SizeExpr::Lit(n, s)),
            Some(Value::Word(w)) => Some(SizeExpr::Name(w)),
            Some(Value::Expr(e)) => Some(e),
            Some(v) => {
                self.error(v.span(), format!("expected the {what} as a number"));
                None
            }
            None => {
                self.cx.error(
                    self.layer.args_span,
                    format!("{l}: missing the {what}, e.g. `{example}`"),
                );
                None
            }
        }
    }

    pub(super) fn inputs(&mut self) -> Inputs {
        match self.take("inputs") {
            Some(Value::Int(n, s)) => Some((*n, *s)),
            Some(v) => {
                self.error(v.span(), "`inputs` takes a number");
                None
            }
            None => None,
        }
    }

    /// `key = 3` or `key = (3, 5)`.
    pub(super) fn per_axis(&mut self, key: &str) -> Option<PerAxis> {
        match self.take(key)? {
            Value::Int(n, _) => Some(PerAxis::One(*n)),
            Value::Pair(a, b, _) => Some(PerAxis::Pair(*a, *b)),
            Value::Triple(a, b, c, _) => Some(PerAxis::Triple(*a, *b, *c)),
            v => {
                self.error(
                    v.span(),
                    format!("`{key}` takes a number or a pair `(h, w)`"),
                );
                None
            }
        }
    }

    pub(super) fn positive(&mut self, key: &str, default: u64) -> u64 {
        match self.take(key) {
            Some(Value::Int(n, _)) if *n >= 1 => *n,
            Some(v) => {
                self.error(v.span(), format!("`{key}` takes a number of at least 1"));
                default
            }
            None => default,
        }
    }

    pub(super) fn boolean(&mut self, key: &str, default: bool) -> bool {
        match self.take(key) {
            Some(Value::Bool(b, _)) => *b,
            Some(v) => {
                self.error(v.span(), format!("`{key}` takes `true` or `false`"));
                default
            }
            None => default,
        }
    }

    /// The layer named by `key` (`from = d1`); without one, `help` is
    /// reported where the argument (or the argument list) is.
    pub(super) fn word(&mut self, key: &str, help: impl std::fmt::Display) -> Option<Ident> {
        match self.take(key) {
            Some(Value::Word(w)) => Some(w.clone()),
            other => {
                let span = other.map_or(self.layer.args_span, |v| v.span());
                self.error(span, help);
                None
            }
        }
    }

    pub(super) fn float(&mut self, key: &str, default: f64) -> f64 {
        match self.take(key) {
            Some(Value::Float(f, _)) => *f,
            Some(Value::Int(n, _)) => *n as f64,
            Some(v) => {
                self.error(v.span(), format!("`{key}` takes a number"));
                default
            }
            None => default,
        }
    }

    /// `k`, `s`, `p`, `d`, `exact` and `ceil`; zero sizes and an even kernel with
    /// "same" padding are reported here, where the arguments are.
    pub(super) fn window(&mut self, pool: bool) -> Option<WinSpec> {
        let span = self.layer.args_span;
        let Some(k) = self.per_axis("k") else {
            self.error(span, "missing argument `k`, e.g. `k = 3`");
            return None;
        };
        let s = self.per_axis("s");
        let d = self.per_axis("d");
        let p = match self.take("p") {
            Some(Value::Word(w)) if w == "same" => {
                let (a, b) = both(k);
                if let Some(even) = [a, b].into_iter().find(|n| n % 2 == 0) {
                    self.error(w.span(), format!("\"same\" padding needs an odd kernel, got {even}: the padding (K-1)/2 would not be whole"));
                    return None;
                }
                Some(Pad::Same)
            }
            Some(Value::Int(n, _)) => Some(Pad::Axis(PerAxis::One(*n))),
            Some(Value::Pair(a, b, _)) => Some(Pad::Axis(PerAxis::Pair(*a, *b))),
            Some(Value::Triple(a, b, c, _)) => Some(Pad::Axis(PerAxis::Triple(*a, *b, *c))),
            Some(v) => {
                self.error(v.span(), "`p` takes a number, a pair or `same`");
                None
            }
            None => None,
        };
        let zero = |v: Option<PerAxis>| {
            v.is_some_and(|v| both(v).0 == 0 || both(v).1 == 0 || depth(v) == Some(0))
        };
        if zero(Some(k)) {
            self.error(span, "the kernel must be at least 1");
            return None;
        }
        if zero(s) || zero(d) {
            self.error(span, "stride and dilation must be at least 1");
            return None;
        }
        if pool && d.is_some_and(|d| both(d) != (1, 1)) {
            self.error(span, "pooling windows are not dilated");
            return None;
        }
        Some(WinSpec {
            k,
            s,
            p,
            d,
            round: match (self.flag("exact"), self.flag("ceil")) {
                (true, true) => {
                    self.error(span, "a window rounds one way: `exact` or `ceil`, not both");
                    return None;
                }
                (true, false) => splotnet_sizes::Round::Exact,
                (false, true) => splotnet_sizes::Round::Ceil,
                (false, false) => splotnet_sizes::Round::Floor,
            },
        })
    }

    /// Reports what no rule consumed.
    pub(super) fn finish(self) {
        if let Some(v) = self.positional.first() {
            self.error(v.span(), "unexpected extra argument");
        }
        for (k, _, _) in self.named.iter().filter(|(_, _, used)| !used) {
            self.error(k.span(), format!("unknown argument `{k}`"));
        }
        for (f, _) in self.flags.iter().filter(|(_, used)| !used) {
            self.error(f.span(), format!("unknown flag `{f}`"));
        }
    }
}
