//! Sizes as the checker knows them: a number, a size known only at run time
//! (`_`), or an expression over a generic block's parameters (`C / 4`,
//! `(H - 1) / 2 + 1`).
//!
//! Expressions are kept in one normal form, a sum of terms with integer
//! coefficients ([`Lin`]), so that sizes that are equal compare equal: a
//! padded 3x3 convolution maps `H` to `(H + 2 - 3) / 1 + 1`, which
//! normalises to `H`, and a block can see that it keeps the size.

use std::collections::BTreeMap;
#[cfg(test)]
use std::collections::HashMap;
use std::fmt;

use proc_macro2::TokenStream;
use quote::quote;

/// A per-sample size.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Size {
    Fixed(u64),
    Runtime,
    /// An expression with at least one parameter.
    Sym(Lin),
}

/// `Σ coefficient · atom + constant`, with no zero coefficient.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lin {
    terms: BTreeMap<Atom, i64>,
    constant: i64,
}

/// What a normal form cannot flatten further.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Atom {
    Param(String),
    /// Floor division by a constant that does not divide every coefficient.
    Div(Box<Lin>, u64),
    /// A product of two non-constant expressions (ordered).
    Mul(Box<Lin>, Box<Lin>),
}

impl Lin {
    fn constant(n: i64) -> Lin {
        Lin {
            terms: BTreeMap::new(),
            constant: n,
        }
    }

    fn atom(a: Atom) -> Lin {
        Lin {
            terms: BTreeMap::from([(a, 1)]),
            constant: 0,
        }
    }

    fn as_constant(&self) -> Option<i64> {
        self.terms.is_empty().then_some(self.constant)
    }

    fn add(&self, o: &Lin) -> Lin {
        let mut out = self.clone();
        for (a, c) in &o.terms {
            let e = out.terms.entry(a.clone()).or_insert(0);
            *e += c;
            if *e == 0 {
                out.terms.remove(a);
            }
        }
        out.constant += o.constant;
        out
    }

    fn scale(&self, k: i64) -> Lin {
        if k == 0 {
            return Lin::constant(0);
        }
        Lin {
            terms: self.terms.iter().map(|(a, c)| (a.clone(), c * k)).collect(),
            constant: self.constant * k,
        }
    }

    fn mul(&self, o: &Lin) -> Lin {
        match (self.as_constant(), o.as_constant()) {
            (Some(k), _) => o.scale(k),
            (_, Some(k)) => self.scale(k),
            _ => {
                let (a, b) = if self <= o { (self, o) } else { (o, self) };
                Lin::atom(Atom::Mul(Box::new(a.clone()), Box::new(b.clone())))
            }
        }
    }

    /// Floor division by `k`. Atoms take integer values, so when `k`
    /// divides every coefficient, `⌊(k·a·X + b)/k⌋ = a·X + ⌊b/k⌋`.
    fn div(&self, k: u64) -> Lin {
        let ki = k as i64;
        if k == 1 {
            return self.clone();
        }
        if self.terms.values().all(|c| c % ki == 0) {
            return Lin {
                terms: self
                    .terms
                    .iter()
                    .map(|(a, c)| (a.clone(), c / ki))
                    .collect(),
                constant: self.constant.div_euclid(ki),
            };
        }
        Lin::atom(Atom::Div(Box::new(self.clone()), k))
    }

    /// Whether `self` is provably a multiple of `k`.
    fn multiple_of(&self, k: u64) -> bool {
        let ki = k as i64;
        self.terms.values().all(|c| c % ki == 0) && self.constant % ki == 0
    }

    /// The value, given every parameter's.
    #[cfg(test)]
    pub fn eval(&self, env: &HashMap<String, i64>) -> Option<i64> {
        let mut v = self.constant;
        for (a, c) in &self.terms {
            let x = match a {
                Atom::Param(p) => *env.get(p)?,
                Atom::Div(l, k) => l.eval(env)?.div_euclid(*k as i64),
                Atom::Mul(l, r) => l.eval(env)? * r.eval(env)?,
            };
            v += c * x;
        }
        Some(v)
    }

    /// Every floor division inside, with its divisor, innermost first.
    pub fn divisions(&self) -> Vec<(Lin, u64)> {
        let mut out = Vec::new();
        for a in self.terms.keys() {
            match a {
                Atom::Param(_) => {}
                Atom::Div(l, k) => {
                    out.extend(l.divisions());
                    out.push(((**l).clone(), *k));
                }
                Atom::Mul(l, r) => {
                    out.extend(l.divisions());
                    out.extend(r.divisions());
                }
            }
        }
        out
    }

    /// Rust code computing the value as `i64`; `param` gives each
    /// parameter's value.
    pub fn to_code(&self, param: &dyn Fn(&str) -> TokenStream) -> TokenStream {
        let c = self.constant;
        let terms = self.terms.iter().map(|(a, k)| {
            let x = match a {
                Atom::Param(p) => param(p),
                Atom::Div(l, d) => {
                    let (l, d) = (l.to_code(param), *d as i64);
                    quote!((#l).div_euclid(#d))
                }
                Atom::Mul(l, r) => {
                    let (l, r) = (l.to_code(param), r.to_code(param));
                    quote!((#l) * (#r))
                }
            };
            quote!(+ #k * (#x))
        });
        quote!((#c #(#terms)*))
    }

    /// The typenum type of the value (every part must be whole and
    /// non-negative); the bounds that make it a type are pushed on `bounds`.
    pub fn to_type(
        &self,
        param: &dyn Fn(&str) -> TokenStream,
        bounds: &mut Vec<TokenStream>,
    ) -> TokenStream {
        let tn = crate::expand::tn;
        let op = |name: &str, a: TokenStream, b: TokenStream, bounds: &mut Vec<TokenStream>| {
            let (alias, tr) = match name {
                "add" => (quote!(Sum), quote!(Add)),
                "sub" => (quote!(Diff), quote!(Sub)),
                "mul" => (quote!(Prod), quote!(Mul)),
                _ => (quote!(Quot), quote!(Div)),
            };
            bounds.push(quote!(#a: ::core::ops::#tr<#b>));
            quote!(::splotnet::typenum::#alias<#a, #b>)
        };
        let sum = |parts: Vec<TokenStream>, bounds: &mut Vec<TokenStream>| {
            parts.into_iter().reduce(|acc, t| op("add", acc, t, bounds))
        };
        let (mut pos, mut neg) = (Vec::new(), Vec::new());
        for (a, k) in &self.terms {
            let x = match a {
                Atom::Param(p) => param(p),
                Atom::Div(l, d) => {
                    let inner = l.to_type(param, bounds);
                    // wholeness is each use's const check (`SizeCheck`)
                    op("div", inner, tn(*d), bounds)
                }
                Atom::Mul(l, r) => {
                    let (l, r) = (l.to_type(param, bounds), r.to_type(param, bounds));
                    op("mul", l, r, bounds)
                }
            };
            let t = if k.unsigned_abs() == 1 {
                x
            } else {
                op("mul", x, tn(k.unsigned_abs()), bounds)
            };
            if *k > 0 {
                pos.push(t);
            } else {
                neg.push(t);
            }
        }
        match self.constant {
            0 => {}
            c if c > 0 => pos.push(tn(c as u64)),
            c => neg.push(tn(c.unsigned_abs())),
        }
        let p = sum(pos, bounds).unwrap_or_else(|| tn(0));
        match sum(neg, bounds) {
            Some(n) => op("sub", p, n, bounds),
            None => p,
        }
    }
}

impl fmt::Display for Lin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (a, k) in &self.terms {
            let text = match a {
                Atom::Param(p) => p.clone(),
                Atom::Div(l, d) if l.terms.len() == 1 && l.constant == 0 => {
                    let only = l.terms.iter().next().map_or(1, |(_, c)| *c);
                    if only == 1 {
                        format!("{l} / {d}")
                    } else {
                        format!("({l}) / {d}")
                    }
                }
                Atom::Div(l, d) => format!("({l}) / {d}"),
                Atom::Mul(l, r) => format!("({l})·({r})"),
            };
            let sign = if *k < 0 { "-" } else { "+" };
            if first {
                if *k < 0 {
                    f.write_str("-")?;
                }
            } else {
                write!(f, " {sign} ")?;
            }
            match (k.unsigned_abs(), a) {
                (1, _) => f.write_str(&text)?,
                (n, Atom::Div(..)) if !text.starts_with('(') => write!(f, "{n}·({text})")?,
                (n, _) => write!(f, "{n}·{text}")?,
            }
            first = false;
        }
        match (first, self.constant) {
            (true, c) => write!(f, "{c}"),
            (false, 0) => Ok(()),
            (false, c) if c > 0 => write!(f, " + {c}"),
            (false, c) => write!(f, " - {}", -c),
        }
    }
}

impl Size {
    pub fn param(name: &str) -> Size {
        Size::Sym(Lin::atom(Atom::Param(name.to_string())))
    }

    fn lin(&self) -> Option<Lin> {
        match self {
            Size::Fixed(n) => Some(Lin::constant(*n as i64)),
            Size::Runtime => None,
            Size::Sym(l) => Some(l.clone()),
        }
    }

    /// Back from a normal form: a number when no parameter is left.
    /// A negative number means a rule was broken; callers check fixed
    /// sizes before they compute, so it clamps to 0 here.
    fn from_lin(l: Lin) -> Size {
        match l.as_constant() {
            Some(c) => Size::Fixed(c.max(0) as u64),
            None => Size::Sym(l),
        }
    }

    fn combine(&self, o: &Size, f: impl Fn(&Lin, &Lin) -> Lin) -> Size {
        match (self.lin(), o.lin()) {
            (Some(a), Some(b)) => Size::from_lin(f(&a, &b)),
            _ => Size::Runtime,
        }
    }

    pub fn add(&self, o: &Size) -> Size {
        self.combine(o, Lin::add)
    }

    pub fn sub(&self, o: &Size) -> Size {
        self.combine(o, |a, b| a.add(&b.scale(-1)))
    }

    pub fn mul(&self, o: &Size) -> Size {
        self.combine(o, Lin::mul)
    }

    /// Floor division.
    pub fn div(&self, k: u64) -> Size {
        match self.lin() {
            Some(l) => Size::from_lin(l.div(k)),
            None => Size::Runtime,
        }
    }

    /// `Some(true)` when provably a multiple of `k`, `Some(false)` when
    /// provably not (a number), `None` when only a use can tell.
    pub fn multiple_of(&self, k: u64) -> Option<bool> {
        match self {
            Size::Fixed(n) => Some(n % k == 0),
            Size::Runtime => None,
            Size::Sym(l) => l.multiple_of(k).then_some(true),
        }
    }

    pub fn fixed(&self) -> Option<u64> {
        match self {
            Size::Fixed(n) => Some(*n),
            _ => None,
        }
    }

    /// Rust code computing the size as `i64` (`None`-free: runtime sizes
    /// never reach generated counts).
    pub fn to_code(&self, param: &dyn Fn(&str) -> TokenStream) -> TokenStream {
        match self.lin() {
            Some(l) => l.to_code(param),
            None => quote!(0i64),
        }
    }

    #[cfg(test)]
    pub fn eval(&self, env: &HashMap<String, i64>) -> Option<i64> {
        self.lin()?.eval(env)
    }

    /// The floor divisions a symbolic size makes (see [`Lin::divisions`]).
    pub fn divisions(&self) -> Vec<(Lin, u64)> {
        match self {
            Size::Sym(l) => l.divisions(),
            _ => vec![],
        }
    }

    /// The normal form's type (see [`Lin::to_type`]).
    pub fn to_type(
        &self,
        param: &dyn Fn(&str) -> TokenStream,
        bounds: &mut Vec<TokenStream>,
    ) -> TokenStream {
        match self.lin() {
            Some(l) => l.to_type(param, bounds),
            None => quote!(usize),
        }
    }
}

/// The shared size rules (`splotnet_sizes`) run on symbolic sizes too.
impl splotnet_sizes::SizeArith for Size {
    fn plus(&self, n: u64) -> Size {
        self.add(&Size::Fixed(n))
    }
    fn minus(&self, n: u64) -> Size {
        self.sub(&Size::Fixed(n))
    }
    fn times(&self, n: u64) -> Size {
        self.mul(&Size::Fixed(n))
    }
    fn over(&self, n: u64) -> Size {
        self.div(n)
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Fixed(n) => write!(f, "{n}"),
            Size::Runtime => f.write_str("_"),
            Size::Sym(l) if l.terms.len() + usize::from(l.constant != 0) > 1 => write!(f, "({l})"),
            Size::Sym(l) => write!(f, "{l}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splotnet_sizes::SizeArith;

    fn h() -> Size {
        Size::param("H")
    }

    /// The shared rule, on symbolic sizes.
    fn window(n: &Size, k: u64, s: u64, p: u64) -> Size {
        splotnet_sizes::conv_out_of(n, k, s, p, 1)
    }

    #[test]
    fn a_padded_three_by_three_keeps_the_size() {
        assert_eq!(window(&h(), 3, 1, 1), h());
        assert_ne!(window(&h(), 3, 1, 0), h());
        assert_eq!(window(&h(), 3, 1, 0).to_string(), "(H - 2)");
    }

    #[test]
    fn a_strided_window_and_its_projection_agree() {
        let body = window(&window(&h(), 3, 2, 1), 3, 1, 1);
        let projection = window(&h(), 1, 2, 0);
        assert_eq!(body, projection);
        assert_eq!(body.to_string(), "((H - 1) / 2 + 1)");
    }

    #[test]
    fn channel_arithmetic_normalises() {
        let c = Size::param("C");
        assert_eq!(c.times(4).div(4), c);
        assert_eq!(c.div(4).to_string(), "C / 4");
        assert_eq!(c.add(&c), c.times(2));
        assert_eq!(c.times(2).div(2).sub(&c), Size::Fixed(0));
        assert_eq!(c.times(4).multiple_of(2), Some(true));
        assert_eq!(c.multiple_of(2), None);
        assert_eq!(Size::Fixed(6).multiple_of(4), Some(false));
    }

    #[test]
    fn expressions_evaluate_as_integers() {
        let c = Size::param("C");
        let e = c.div(4).mul(&c).plus(3);
        let env = HashMap::from([("C".to_string(), 6)]);
        // floor(6 / 4) = 1, so 1 * 6 + 3
        assert_eq!(e.eval(&env), Some(9));
        assert_eq!(Size::Runtime.add(&c), Size::Runtime);
    }
}
