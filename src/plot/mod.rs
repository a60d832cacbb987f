//! Pictures of a training run, as PNG: loss, accuracy and learning-rate
//! curves, the first layer's filters, and a sample's outputs at every
//! layer.
//!
//! Charts are drawn by `plotters`, text in the Hack typeface (shipped by the
//! `epaint_default_fonts` crate, so no system font is needed), all on an RGB
//! [`Canvas`] that the `image` crate encodes.
//!
//! ```
//! use splotnet::plot::{filter_grid, Canvas};
//!
//! // two 3x3 filters
//! let weights = [1.0, 0.0, -1.0, 2.0, 0.0, -2.0, 1.0, 0.0, -1.0,
//!                0.0, 1.0, 0.0, 1.0, -4.0, 1.0, 0.0, 1.0, 0.0];
//! let picture: Canvas = filter_grid(&weights, 2, 3, 3, 8).unwrap();
//! assert!(picture.to_png().unwrap().starts_with(b"\x89PNG"));
//! ```

mod canvas;
mod curves;
mod maps;
mod segment;
mod text;

pub use canvas::{Canvas, Rgb, BLACK, BLUE, GREEN, ORANGE, WHITE};
pub use curves::{nice_ticks, training_curves};
pub use maps::{feature_maps, filter_grid, ColourScale};
pub use segment::{segmentation_curves, segmentation_grid, CLASS_COLOURS};

pub use crate::inspect::Activation;

#[cfg(test)]
mod tests;
