//! Errors collected over a whole declaration, as serde_derive's `Ctxt`
//! does: every stage reports what it finds and goes on, and the macro
//! emits all of them together.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::Span;

#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    pub fn error(&self, span: Span, msg: impl Display) {
        self.errors.borrow_mut().push(syn::Error::new(span, msg));
    }

    pub fn push(&self, e: syn::Error) {
        self.errors.borrow_mut().push(e);
    }

    /// Every error so far as one, or `Ok` if there were none.
    pub fn finish(self) -> syn::Result<()> {
        let mut all = self.errors.into_inner().into_iter();
        let Some(mut first) = all.next() else {
            return Ok(());
        };
        for e in all {
            first.combine(e);
        }
        Err(first)
    }
}
