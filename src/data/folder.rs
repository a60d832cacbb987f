//! Images in class folders, as torchvision's `ImageFolder` reads them:
//! `root/<class>/<image>.png|jpg|jpeg`, classes in sorted order (their
//! labels), images sorted by name within each class.
//!
//! Opening checks every file's header (not its pixels), so a folder that
//! cannot be used is refused at once, naming the file; images are decoded
//! when a batch needs them, in parallel, converted to the network's
//! channels (grey or RGB) and resized to its input with a bilinear filter.

use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use rand::rngs::StdRng;
use rayon::prelude::*;

use super::samples::{Augment, Samples};
use crate::Error;

/// The file extensions read as images (any case).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg"];

/// ImageNet's per-channel RGB mean on a 0–1 scale, as torchvision's
/// pretrained models expect their inputs normalised.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// ImageNet's per-channel RGB standard deviation on a 0–1 scale.
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// A labelled image folder, read as samples of `[C, H, W]`.
#[derive(Clone, Debug)]
pub struct ImageFolder {
    root: PathBuf,
    classes: Vec<String>,
    /// `(file, label)`, in label then name order.
    files: Vec<(PathBuf, usize)>,
    dims: [usize; 3],
    mean: Vec<f32>,
    std: Vec<f32>,
}

impl ImageFolder {
    /// Reads the folder `root` as samples of `dims` (`[1, H, W]` grey or
    /// `[3, H, W]` RGB), normalised per channel by ImageNet's statistics
    /// for RGB and by mean 0.5, deviation 0.5 for grey.
    ///
    /// Errors name the path: a root that is missing or not a directory, no
    /// class folder, a class folder without images, a file whose header is
    /// not a PNG or JPEG image.
    pub fn open(root: impl AsRef<Path>, dims: &[usize]) -> crate::Result<Self> {
        let root = root.as_ref();
        let dims = match dims {
            &[c @ (1 | 3), h, w] if h > 0 && w > 0 => [c, h, w],
            _ => {
                return Err(Error::shape(
                    "image folder",
                    format!(
                    "images become samples of [1, H, W] (grey) or [3, H, W] (RGB), not {dims:?}"
                ),
                ))
            }
        };
        let entries = read_dir_sorted(root)?;
        let classes: Vec<PathBuf> = entries.into_iter().filter(|p| p.is_dir()).collect();
        if classes.is_empty() {
            return Err(Error::data(
                root,
                "holds no class folders (expected root/<class>/<image>.png|jpg)",
            ));
        }
        let mut files = Vec::new();
        for (label, class) in classes.iter().enumerate() {
            let before = files.len();
            for file in read_dir_sorted(class)? {
                if file.is_file() && is_image(&file) {
                    check_header(&file)?;
                    files.push((file, label));
                }
            }
            if files.len() == before {
                return Err(Error::data(
                    class,
                    "class folder holds no PNG or JPEG image",
                ));
            }
        }
        let (mean, std) = if dims[0] == 3 {
            (IMAGENET_MEAN.to_vec(), IMAGENET_STD.to_vec())
        } else {
            (vec![0.5], vec![0.5])
        };
        Ok(ImageFolder {
            root: root.to_path_buf(),
            classes: classes
                .iter()
                .map(|c| {
                    c.file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                })
                .collect(),
            files,
            dims,
            mean,
            std,
        })
    }

    /// The classes' names (their folders), by label.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The image file of sample `i`.
    pub fn file(&self, i: usize) -> &Path {
        &self.files[i].0
    }

    /// The folder with samples normalised by `mean` and `std` per channel
    /// (0–1 scale); an error unless each has one positive-deviation entry
    /// per channel.
    pub fn normalised_by(self, mean: &[f32], std: &[f32]) -> crate::Result<Self> {
        let c = self.dims[0];
        if mean.len() != c || std.len() != c || std.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::shape(
                "image folder",
                format!("normalisation for {c} channels needs {c} means and {c} positive deviations, got {mean:?} and {std:?}"),
            ));
        }
        Ok(ImageFolder {
            mean: mean.to_vec(),
            std: std.to_vec(),
            ..self
        })
    }

    /// Every image's mean and standard deviation per channel (0–1 scale)
    /// at the sample size: the normalisation the folder's own pixels call
    /// for (decodes every image once).
    pub fn channel_stats(&self) -> crate::Result<(Vec<f32>, Vec<f32>)> {
        let c = self.dims[0];
        let plane = self.dims[1] * self.dims[2];
        let sums = (0..self.files.len())
            .into_par_iter()
            .map(|i| {
                let raw = self.decode(i)?;
                let mut s = vec![0.0f64; 2 * c];
                for (ch, values) in raw.chunks_exact(plane).enumerate() {
                    for &v in values {
                        s[ch] += v as f64;
                        s[c + ch] += (v as f64) * (v as f64);
                    }
                }
                Ok(s)
            })
            .collect::<crate::Result<Vec<_>>>()?;
        let n = (self.files.len() * plane).max(1) as f64;
        let mut mean = vec![0.0; c];
        let mut std = vec![0.0; c];
        for ch in 0..c {
            let (s, sq) = sums
                .iter()
                .fold((0.0, 0.0), |a, s| (a.0 + s[ch], a.1 + s[c + ch]));
            let m = s / n;
            mean[ch] = m as f32;
            std[ch] = ((sq / n - m * m).max(0.0).sqrt() as f32).max(f32::MIN_POSITIVE);
        }
        Ok((mean, std))
    }

    /// Image `i` at the sample size, channels first, intensities 0 to 1.
    fn decode(&self, i: usize) -> crate::Result<Vec<f32>> {
        let path = &self.files[i].0;
        let img =
            image::open(path).map_err(|e| Error::data(path, format!("cannot decode: {e}")))?;
        let [c, h, w] = self.dims;
        let (w32, h32) = (w as u32, h as u32);
        let mut out = vec![0.0; c * h * w];
        if c == 1 {
            let grey = image::imageops::resize(&img.to_luma8(), w32, h32, FilterType::Triangle);
            for (o, p) in out.iter_mut().zip(grey.pixels()) {
                *o = p.0[0] as f32 / 255.0;
            }
        } else {
            let rgb = image::imageops::resize(&img.to_rgb8(), w32, h32, FilterType::Triangle);
            for (j, p) in rgb.pixels().enumerate() {
                for ch in 0..3 {
                    out[ch * h * w + j] = p.0[ch] as f32 / 255.0;
                }
            }
        }
        Ok(out)
    }
}

impl Samples for ImageFolder {
    fn len(&self) -> usize {
        self.files.len()
    }

    fn sample_dims(&self) -> Vec<usize> {
        self.dims.to_vec()
    }

    fn label(&self, i: usize) -> usize {
        self.files[i].1
    }

    fn batch_into(
        &self,
        indices: &[usize],
        augment: Option<(&Augment, &mut StdRng)>,
        out: &mut Vec<f32>,
    ) -> crate::Result<()> {
        let [c, h, w] = self.dims;
        let size = c * h * w;
        let decoded = indices
            .par_iter()
            .map(|&i| self.decode(i))
            .collect::<crate::Result<Vec<_>>>()?;
        out.clear();
        out.reserve(indices.len() * size);
        for sample in decoded {
            out.extend(
                sample
                    .chunks_exact(h * w)
                    .enumerate()
                    .flat_map(|(ch, plane)| {
                        let (m, s) = (self.mean[ch], self.std[ch]);
                        plane.iter().map(move |v| (v - m) / s)
                    }),
            );
        }
        if let Some((augment, rng)) = augment {
            if augment.distort.is_some() {
                return Err(Error::shape(
                    "image folder",
                    format!(
                        "{}: the digit distortions work on 28x28 grey digits; use crops and flips",
                        self.root.display()
                    ),
                ));
            }
            // the zero padding of a crop, per channel after normalisation
            let fill: Vec<f32> = self
                .mean
                .iter()
                .zip(&self.std)
                .map(|(m, s)| -m / s)
                .collect();
            for sample in out.chunks_exact_mut(size) {
                augment.crop_and_flip(sample, &self.dims, &fill, rng);
            }
        }
        Ok(())
    }
}

/// The entries of `dir`, sorted by name; a missing or unreadable
/// directory, or a file, is an error naming it.
fn read_dir_sorted(dir: &Path) -> crate::Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Err(Error::data(dir, "no such directory"));
    }
    if !dir.is_dir() {
        return Err(Error::data(
            dir,
            "is a file, not a directory of class folders",
        ));
    }
    let mut entries = std::fs::read_dir(dir)
        .and_then(|rd| {
            rd.map(|e| e.map(|e| e.path()))
                .collect::<std::io::Result<Vec<_>>>()
        })
        .map_err(|e| Error::data(dir, format!("cannot list: {e}")))?;
    entries.sort();
    Ok(entries)
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Reads the header only: the format and the size.
fn check_header(path: &Path) -> crate::Result<()> {
    let bad = |e: String| Error::data(path, format!("not a readable PNG or JPEG image: {e}"));
    let reader = image::ImageReader::open(path)
        .map_err(|e| bad(e.to_string()))?
        .with_guessed_format()
        .map_err(|e| bad(e.to_string()))?;
    let (w, h) = reader.into_dimensions().map_err(|e| bad(e.to_string()))?;
    if w == 0 || h == 0 {
        return Err(bad(format!("it is {w}x{h}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of `classes`, each with two 6x4 images whose pixels encode
    /// the class and image, written as PNG (and one JPEG).
    fn make_folder(name: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("splotnet-folder-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (label, class) in ["cat", "ant"].iter().enumerate() {
            let dir = root.join(class);
            std::fs::create_dir_all(&dir).unwrap();
            for k in 0..2u8 {
                let img = image::RgbImage::from_fn(6, 4, |x, y| {
                    image::Rgb([label as u8 * 100 + k * 10, x as u8 * 40, y as u8 * 60])
                });
                img.save(dir.join(format!("{k}.png"))).unwrap();
            }
            std::fs::write(dir.join("notes.txt"), b"not an image").unwrap();
        }
        root
    }

    #[test]
    fn classes_are_sorted_folders_and_pixels_are_normalised_channels_first() {
        let root = make_folder("read");
        let folder = ImageFolder::open(&root, &[3, 4, 6]).unwrap();
        assert_eq!(folder.classes(), ["ant", "cat"]);
        assert_eq!(folder.len(), 4);
        assert_eq!(
            (0..4).map(|i| folder.label(i)).collect::<Vec<_>>(),
            [0, 0, 1, 1]
        );
        let folder = folder.normalised_by(&[0.0; 3], &[1.0; 3]).unwrap();
        let mut out = Vec::new();
        folder.batch_into(&[3], None, &mut out).unwrap();
        // cat (written with label 0) image 1: red 10, green 40x, blue 60y
        assert_eq!(out.len(), 3 * 4 * 6);
        for y in 0..4 {
            for x in 0..6 {
                let at = |c: usize| out[c * 24 + y * 6 + x] * 255.0;
                assert!((at(0) - 10.0).abs() < 1e-3, "red {}", at(0));
                assert!((at(1) - x as f32 * 40.0).abs() < 1e-3);
                assert!((at(2) - y as f32 * 60.0).abs() < 1e-3);
            }
        }
        // grey at another size: one channel, resized
        let grey = ImageFolder::open(&root, &[1, 8, 8]).unwrap();
        grey.batch_into(&[0, 1], None, &mut out).unwrap();
        assert_eq!(out.len(), 2 * 64);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_folder_that_cannot_be_used_is_refused_naming_the_path() {
        let root = make_folder("bad");
        let open = |r: &Path| ImageFolder::open(r, &[3, 4, 6]).unwrap_err().to_string();
        assert!(open(&root.join("missing")).contains("no such directory"));
        assert!(open(&root.join("cat/0.png")).contains("is a file"));
        assert!(open(&root.join("cat")).contains("holds no class folders"));
        let e = ImageFolder::open(&root, &[2, 4, 6])
            .unwrap_err()
            .to_string();
        assert!(e.contains("[2, 4, 6]"), "{e}");
        std::fs::create_dir(root.join("empty")).unwrap();
        let e = open(&root);
        assert!(
            e.contains("empty") && e.contains("holds no PNG or JPEG"),
            "{e}"
        );
        std::fs::remove_dir(root.join("empty")).unwrap();
        std::fs::write(root.join("ant/2.jpg"), b"\xff\xd8 truncated").unwrap();
        let e = open(&root);
        assert!(
            e.contains("ant/2.jpg") && e.contains("not a readable"),
            "{e}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn crops_and_flips_apply_and_distortions_are_refused() {
        let root = make_folder("augment");
        let folder = ImageFolder::open(&root, &[3, 4, 6]).unwrap();
        let mut rng = rand::SeedableRng::seed_from_u64(1);
        let mut plain = Vec::new();
        folder.batch_into(&[0], None, &mut plain).unwrap();
        let flip = Augment {
            flip: true,
            ..Augment::NONE
        };
        let mut flipped = Vec::new();
        // with probability 1/2 per draw, some of 20 draws mirror the image
        let mirrored = (0..20).any(|_| {
            folder
                .batch_into(&[0], Some((&flip, &mut rng)), &mut flipped)
                .unwrap();
            flipped[0] == plain[5] && flipped != plain
        });
        assert!(mirrored);
        let distort = Augment {
            distort: Some(super::super::Distortion::DEFAULT),
            ..Augment::NONE
        };
        let e = folder.batch_into(&[0], Some((&distort, &mut rng)), &mut flipped);
        assert!(e.unwrap_err().to_string().contains("digit distortions"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
