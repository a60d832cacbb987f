//! The grammar of `network!`, parsed into a syntax tree that keeps spans.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, parenthesized, Attribute, Ident, LitFloat, LitInt, Token, Visibility};

/// `#[doc] pub Name(input: [c, h, w]) { layer, ... }`, or a generic block
/// `#[doc] pub block Name<A, B>(input: [C, H, W]) { layer, ... }`.
pub struct Network {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    /// Declared with `block`: generic over its input's sizes.
    pub block: Option<Ident>,
    pub name: Ident,
    /// Size parameters: a generic block's own (`Inception<B1, R3, ..>`),
    /// given by each use (`block(Inception<64, 96, ..>)`), or a network's
    /// with their defaults (`ResNet18<CLASSES = 1000>`).
    pub size_params: Vec<Ident>,
    /// Each size parameter's default, `= 1000`.
    pub size_defaults: Vec<Option<(u64, Span)>>,
    pub input: Vec<SizeExpr>,
    pub input_span: Span,
    pub layers: Vec<Layer>,
}

/// A size in the DSL: a literal, `_` for a size known only at run time, a
/// name (a generic block's parameter), or arithmetic on them with `+ - * /`
/// (`C / 4`, `2 * C`).
#[derive(Clone)]
pub enum SizeExpr {
    Lit(u64, Span),
    Runtime(Span),
    Name(Ident),
    Bin(Box<SizeExpr>, BinOp, Box<SizeExpr>),
}

#[derive(Clone, Copy)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl SizeExpr {
    pub fn span(&self) -> Span {
        match self {
            SizeExpr::Lit(_, s) | SizeExpr::Runtime(s) => *s,
            SizeExpr::Name(n) => n.span(),
            SizeExpr::Bin(a, _, b) => a.span().join(b.span()).unwrap_or_else(|| a.span()),
        }
    }
}

impl std::fmt::Display for SizeExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SizeExpr::Lit(n, _) => write!(f, "{n}"),
            SizeExpr::Runtime(_) => f.write_str("_"),
            SizeExpr::Name(n) => write!(f, "{n}"),
            SizeExpr::Bin(a, op, b) => {
                let op = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                };
                write!(f, "{a} {op} {b}")
            }
        }
    }
}

/// `name: kind(args) { body } -> [annotation]`; all but the kind optional.
pub struct Layer {
    /// `#[key = "features.0"]` and any other outer attributes.
    pub attrs: Vec<Attribute>,
    pub name: Option<Ident>,
    pub kind: Ident,
    pub args: Vec<Arg>,
    pub args_span: Span,
    pub body: Option<Body>,
    pub annotation: Option<(Vec<SizeExpr>, Span)>,
}

/// The inside of a block: a sequence of layers (`residual`), or named
/// branches of layers (`concat { b1: [..], b2: [..] }`).
pub enum Body {
    Layers(Vec<Layer>),
    Branches(Vec<(Ident, Vec<Layer>)>),
}

fn parse_layers(input: ParseStream) -> syn::Result<Vec<Layer>> {
    Ok(Punctuated::<Layer, Token![,]>::parse_terminated(input)?
        .into_iter()
        .collect())
}

fn parse_body(input: ParseStream) -> syn::Result<Body> {
    let inner;
    syn::braced!(inner in input);
    let is_branches = inner.peek(Ident) && inner.peek2(Token![:]) && {
        let fork = inner.fork();
        fork.parse::<Ident>()?;
        fork.parse::<Token![:]>()?;
        fork.peek(syn::token::Bracket)
    };
    if !is_branches {
        return Ok(Body::Layers(parse_layers(&inner)?));
    }
    let mut branches = Vec::new();
    while !inner.is_empty() {
        let name: Ident = inner.parse()?;
        inner.parse::<Token![:]>()?;
        let layers;
        bracketed!(layers in inner);
        branches.push((name, parse_layers(&layers)?));
        if inner.is_empty() {
            break;
        }
        inner.parse::<Token![,]>()?;
    }
    Ok(Body::Branches(branches))
}

/// One argument: positional `6`, flag `exact`, or `key = value`.
pub enum Arg {
    Positional(Value),
    Flag(Ident),
    Named(Ident, Value),
}

/// An argument value: `5`, `(3, 5)`, `0.5`, a word such as `same`, a path
/// (`zoo::Basic`), or size arithmetic (`C / 4`).
#[derive(Clone)]
pub enum Value {
    Int(u64, Span),
    Pair(u64, u64, Span),
    /// `(depth, height, width)`, for volumes.
    Triple(u64, u64, u64, Span),
    Float(f64, Span),
    Bool(bool, Span),
    Word(Ident),
    /// A string: `keys = "denselayer{1}"`.
    Str(String, Span),
    /// A path, with size arguments when written `Block<64, C / 2>`.
    Path(syn::Path, Vec<SizeExpr>),
    Expr(SizeExpr),
}

impl Value {
    pub fn span(&self) -> Span {
        match self {
            Value::Int(_, s) | Value::Pair(_, _, s) | Value::Float(_, s) | Value::Bool(_, s) => *s,
            Value::Word(w) => w.span(),
            Value::Str(_, s) | Value::Triple(_, _, _, s) => *s,
            Value::Path(p, _) => syn::spanned::Spanned::span(p),
            Value::Expr(e) => e.span(),
        }
    }
}

impl Parse for Network {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let mut name: Ident = input.parse()?;
        let block = if name == "block" && input.peek(Ident) {
            let kw = name;
            name = input.parse()?;
            Some(kw)
        } else {
            None
        };
        let (mut size_params, mut size_defaults) = (Vec::new(), Vec::new());
        if input.peek(Token![<]) {
            input.parse::<Token![<]>()?;
            while !input.peek(Token![>]) {
                size_params.push(input.parse()?);
                size_defaults.push(if input.peek(Token![=]) {
                    input.parse::<Token![=]>()?;
                    let lit: LitInt = input.parse()?;
                    Some((lit.base10_parse()?, lit.span()))
                } else {
                    None
                });
                if !input.peek(Token![>]) {
                    input.parse::<Token![,]>()?;
                }
            }
            input.parse::<Token![>]>()?;
        }
        let sig;
        parenthesized!(sig in input);
        let kw: Ident = sig.parse()?;
        if kw != "input" {
            return Err(syn::Error::new(
                kw.span(),
                "expected `input: [channels, height, width]`",
            ));
        }
        sig.parse::<Token![:]>()?;
        let input_span = sig.span();
        let dims = parse_dims(&sig)?;
        let body;
        syn::braced!(body in input);
        Ok(Network {
            attrs,
            vis,
            block,
            name,
            size_params,
            size_defaults,
            input: dims,
            input_span,
            layers: parse_layers(&body)?,
        })
    }
}

fn parse_dims(input: ParseStream) -> syn::Result<Vec<SizeExpr>> {
    let inner;
    bracketed!(inner in input);
    let dims = Punctuated::<SizeExpr, Token![,]>::parse_terminated(&inner)?;
    Ok(dims.into_iter().collect())
}

/// `term (('+' | '-') term)*`, terms `atom (('*' | '/') atom)*`.
impl Parse for SizeExpr {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut e = parse_term(input)?;
        loop {
            let op = if input.peek(Token![+]) {
                input.parse::<Token![+]>()?;
                BinOp::Add
            } else if input.peek(Token![-]) && !input.peek(Token![->]) {
                input.parse::<Token![-]>()?;
                BinOp::Sub
            } else {
                return Ok(e);
            };
            e = SizeExpr::Bin(Box::new(e), op, Box::new(parse_term(input)?));
        }
    }
}

fn parse_term(input: ParseStream) -> syn::Result<SizeExpr> {
    let mut e = parse_atom(input)?;
    loop {
        let op = if input.peek(Token![*]) {
            input.parse::<Token![*]>()?;
            BinOp::Mul
        } else if input.peek(Token![/]) {
            input.parse::<Token![/]>()?;
            BinOp::Div
        } else {
            return Ok(e);
        };
        e = SizeExpr::Bin(Box::new(e), op, Box::new(parse_atom(input)?));
    }
}

fn parse_atom(input: ParseStream) -> syn::Result<SizeExpr> {
    if input.peek(Token![_]) {
        let u: Token![_] = input.parse()?;
        return Ok(SizeExpr::Runtime(u.span));
    }
    if input.peek(Ident) {
        return Ok(SizeExpr::Name(input.parse()?));
    }
    if input.peek(syn::token::Paren) {
        let inner;
        parenthesized!(inner in input);
        return inner.parse();
    }
    let lit: LitInt = input.parse()?;
    Ok(SizeExpr::Lit(lit.base10_parse()?, lit.span()))
}

impl Parse for Layer {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let first: Ident = input.parse()?;
        let (name, kind) = if input.peek(Token![:]) {
            input.parse::<Token![:]>()?;
            (Some(first), input.parse::<Ident>()?)
        } else {
            (None, first)
        };
        let mut args = Vec::new();
        let mut args_span = kind.span();
        if input.peek(syn::token::Paren) {
            let inner;
            let paren = parenthesized!(inner in input);
            args_span = paren.span.join();
            let list = Punctuated::<Arg, Token![,]>::parse_terminated(&inner)?;
            args = list.into_iter().collect();
        }
        let body = if input.peek(syn::token::Brace) {
            Some(parse_body(input)?)
        } else {
            None
        };
        let annotation = if input.peek(Token![->]) {
            input.parse::<Token![->]>()?;
            let span = input.span();
            Some((parse_dims(input)?, span))
        } else {
            None
        };
        Ok(Layer {
            attrs,
            name,
            kind,
            args,
            args_span,
            body,
            annotation,
        })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            return Ok(Arg::Named(key, input.parse()?));
        }
        let is_pair = input.peek(syn::token::Paren) && {
            let fork = input.fork();
            fork.parse::<Value>().is_ok() && (fork.is_empty() || fork.peek(Token![,]))
        };
        if input.peek(LitFloat) || input.peek(syn::LitBool) || input.peek(Token![-]) || is_pair {
            return Ok(Arg::Positional(input.parse()?));
        }
        if input.peek(Ident) && (input.peek2(Token![::]) || input.peek2(Token![<])) {
            return Ok(Arg::Positional(parse_path_value(input)?));
        }
        Ok(match input.parse::<SizeExpr>()? {
            SizeExpr::Name(n) => Arg::Flag(n),
            SizeExpr::Lit(n, s) => Arg::Positional(Value::Int(n, s)),
            e => Arg::Positional(Value::Expr(e)),
        })
    }
}

impl Parse for Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(syn::token::Paren) {
            let inner;
            let paren = parenthesized!(inner in input);
            let a: LitInt = inner.parse()?;
            inner.parse::<Token![,]>()?;
            let b: LitInt = inner.parse()?;
            if inner.peek(Token![,]) {
                inner.parse::<Token![,]>()?;
                let c: LitInt = inner.parse()?;
                return Ok(Value::Triple(
                    a.base10_parse()?,
                    b.base10_parse()?,
                    c.base10_parse()?,
                    paren.span.join(),
                ));
            }
            return Ok(Value::Pair(
                a.base10_parse()?,
                b.base10_parse()?,
                paren.span.join(),
            ));
        }
        if input.peek(Token![-]) {
            let minus: Token![-] = input.parse()?;
            let value: f64 = if input.peek(LitFloat) {
                input.parse::<LitFloat>()?.base10_parse()?
            } else {
                input.parse::<LitInt>()?.base10_parse()?
            };
            return Ok(Value::Float(-value, minus.span));
        }
        if input.peek(LitFloat) {
            let f: LitFloat = input.parse()?;
            return Ok(Value::Float(f.base10_parse()?, f.span()));
        }
        if input.peek(syn::LitBool) {
            let b: syn::LitBool = input.parse()?;
            return Ok(Value::Bool(b.value, b.span));
        }
        if input.peek(syn::LitStr) {
            let s: syn::LitStr = input.parse()?;
            return Ok(Value::Str(s.value(), s.span()));
        }
        if input.peek(Ident) && (input.peek2(Token![::]) || input.peek2(Token![<])) {
            return parse_path_value(input);
        }
        if input.peek(Ident) {
            return Ok(Value::Word(input.parse()?));
        }
        let lit: LitInt = input.parse()?;
        Ok(Value::Int(lit.base10_parse()?, lit.span()))
    }
}

/// `zoo::Inception<64, 96, C / 2>`: a path and its size arguments.
fn parse_path_value(input: ParseStream) -> syn::Result<Value> {
    let path = input.call(syn::Path::parse_mod_style)?;
    let mut sizes = Vec::new();
    if input.peek(Token![<]) {
        input.parse::<Token![<]>()?;
        while !input.peek(Token![>]) {
            sizes.push(input.parse()?);
            if !input.peek(Token![>]) {
                input.parse::<Token![,]>()?;
            }
        }
        input.parse::<Token![>]>()?;
    }
    Ok(Value::Path(path, sizes))
}
