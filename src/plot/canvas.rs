//! An RGB raster to draw plots on, saved as PNG.

use image::ImageEncoder;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, IntoDrawingArea, RGBColor};

use super::text::{drawing_error, font};
use crate::Error;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// White.
pub const WHITE: Rgb = [255, 255, 255];
/// Black.
pub const BLACK: Rgb = [0, 0, 0];
/// Blue, for the first series.
pub const BLUE: Rgb = [31, 119, 180];
/// Orange, for the second series.
pub const ORANGE: Rgb = [255, 127, 14];
/// Green, for a third series.
pub const GREEN: Rgb = [44, 160, 44];

/// `c` as plotters' colour type.
pub(super) fn plotters_colour(c: Rgb) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

/// A width x height image, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<Rgb>,
}

impl Canvas {
    /// A canvas filled with `background`.
    pub fn new(width: usize, height: usize, background: Rgb) -> Self {
        Canvas {
            width,
            height,
            pixels: vec![background; width * height],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The colour at `(x, y)`, if inside.
    pub fn get(&self, x: usize, y: usize) -> Option<Rgb> {
        (x < self.width && y < self.height).then(|| self.pixels[y * self.width + x])
    }

    /// Sets `(x, y)`; points outside are ignored, so shapes may overhang.
    pub fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            self.pixels[y as usize * self.width + x as usize] = c;
        }
    }

    /// A filled rectangle.
    pub fn rect(&mut self, x: i64, y: i64, w: i64, h: i64, c: Rgb) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.set(xx, yy, c);
            }
        }
    }

    /// A plotters drawing area over the canvas's pixels, for charts and
    /// text: what it draws lands on the canvas.
    pub fn area(&mut self) -> crate::Result<DrawingArea<BitMapBackend<'_>, Shift>> {
        let size = (self.width as u32, self.height as u32);
        BitMapBackend::with_buffer_and_format(self.pixels.as_flattened_mut(), size)
            .map(IntoDrawingArea::into_drawing_area)
            .map_err(drawing_error)
    }

    /// `text` with its top-left at `(x, y)`, `px` pixels high, anti-aliased.
    pub fn text(&mut self, x: i64, y: i64, text: &str, px: f64, c: Rgb) -> crate::Result<()> {
        let style = font(px)?.color(&plotters_colour(c));
        self.area()?
            .draw_text(text, &style, (x as i32, y as i32))
            .map_err(drawing_error)
    }

    /// The width `text` takes at `px` pixels.
    pub fn text_width(text: &str, px: f64) -> crate::Result<i64> {
        let (w, _) = font(px)?.box_size(text).map_err(drawing_error)?;
        Ok(w as i64)
    }

    /// Copies `other` with its top-left at `(x, y)`.
    pub fn blit(&mut self, other: &Canvas, x: i64, y: i64) {
        for yy in 0..other.height {
            for xx in 0..other.width {
                self.set(
                    x + xx as i64,
                    y + yy as i64,
                    other.pixels[yy * other.width + xx],
                );
            }
        }
    }

    /// The PNG file's bytes (8-bit RGB, encoded by the `image` crate).
    pub fn to_png(&self) -> crate::Result<Vec<u8>> {
        let rgb: Vec<u8> = self.pixels.iter().flatten().copied().collect();
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(
                &rgb,
                self.width as u32,
                self.height as u32,
                image::ExtendedColorType::Rgb8,
            )
            .map_err(|e| Error::shape("png", format!("cannot encode the picture: {e}")))?;
        Ok(png)
    }

    /// Writes the canvas to `path` as PNG.
    pub fn save_png(&self, path: &Path) -> crate::Result<()> {
        crate::io::write_atomically(path, &self.to_png()?)
            .map_err(|e| Error::data(path, format!("cannot write the image: {e}")))
    }
}
