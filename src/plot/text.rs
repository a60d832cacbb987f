//! Text for the pictures: the Hack typeface, which ships inside the
//! `epaint_default_fonts` crate, drawn by plotters' `ab_glyph` backend.
//!
//! Shipping the font as a crate rather than asking the system for one keeps
//! the pictures the same on every machine, headless CI (which has no fonts
//! installed) included.

use std::sync::OnceLock;

use plotters::style::{register_font, FontDesc, FontFamily, FontStyle};

use crate::Error;

/// The family name the typeface is registered under with plotters.
const FAMILY: &str = "splotnet-hack";

/// Size of titles and captions, in pixels.
pub const TITLE_PX: f64 = 18.0;
/// Size of axis labels, legends and layer names, in pixels.
pub const LABEL_PX: f64 = 13.0;

/// The typeface at `px` pixels, registered with plotters on first use.
pub fn font(px: f64) -> crate::Result<FontDesc<'static>> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        register_font(
            FAMILY,
            FontStyle::Normal,
            epaint_default_fonts::HACK_REGULAR,
        )
        .is_ok()
    });
    if !registered {
        return Err(Error::shape(
            "plot",
            "the shipped Hack typeface did not load",
        ));
    }
    Ok(FontDesc::new(
        FontFamily::Name(FAMILY),
        px,
        FontStyle::Normal,
    ))
}

/// A plotters failure as the library's error.
pub fn drawing_error(e: impl std::fmt::Display) -> Error {
    Error::shape("plot", format!("cannot draw the picture: {e}"))
}
