//! An RGB raster to draw plots on, saved as PNG.

use image::ImageEncoder;
use std::path::Path;

use super::font::{glyph, GLYPH_H, GLYPH_W};
use crate::Error;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// White.
pub const WHITE: Rgb = [255, 255, 255];
/// Black.
pub const BLACK: Rgb = [0, 0, 0];
/// Light grey, for grid lines.
pub const GRID: Rgb = [225, 225, 225];
/// Blue, for the first series.
pub const BLUE: Rgb = [31, 119, 180];
/// Orange, for the second series.
pub const ORANGE: Rgb = [255, 127, 14];
/// Green, for a third series.
pub const GREEN: Rgb = [44, 160, 44];

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

    /// A line of the given thickness (Bresenham, thickened with squares).
    pub fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), thick: i64, c: Rgb) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        let half = thick / 2;
        loop {
            self.rect(x - half, y - half, thick.max(1), thick.max(1), c);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// `text` with its top-left at `(x, y)`, each font pixel `scale` pixels.
    pub fn text(&mut self, x: i64, y: i64, text: &str, scale: i64, c: Rgb) {
        for (i, ch) in text.chars().enumerate() {
            let left = x + i as i64 * (GLYPH_W as i64 + 1) * scale;
            for (row, bits) in glyph(ch).iter().enumerate() {
                for col in 0..GLYPH_W {
                    if bits >> (GLYPH_W - 1 - col) & 1 == 1 {
                        self.rect(
                            left + col as i64 * scale,
                            y + row as i64 * scale,
                            scale,
                            scale,
                            c,
                        );
                    }
                }
            }
        }
    }

    /// The width `text` takes at `scale`.
    pub fn text_width(text: &str, scale: i64) -> i64 {
        text.chars().count() as i64 * (GLYPH_W as i64 + 1) * scale
    }

    /// The height of a line of text at `scale`.
    pub fn text_height(scale: i64) -> i64 {
        GLYPH_H as i64 * scale
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
