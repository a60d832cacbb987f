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
use rand::Rng;
use rayon::prelude::*;

use super::samples::{Augment, Samples};
use super::PcaJitter;
use crate::Error;

/// The file extensions read as images (any case).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg"];

/// ImageNet's per-channel RGB mean on a 0–1 scale, as torchvision's
/// pretrained models expect their inputs normalised.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// ImageNet's per-channel RGB standard deviation on a 0–1 scale.
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// What [`ImageFolder::statistics`] measures.
#[derive(Clone, Debug, PartialEq)]
pub struct FolderStats {
    /// The mean intensity per channel (0–1 scale).
    pub mean: Vec<f32>,
    /// The standard deviation per channel.
    pub std: Vec<f32>,
    /// AlexNet's colour jitter from the RGB covariance; `None` for grey.
    pub pca: Option<PcaJitter>,
}

/// A labelled image folder, read as samples of `[C, H, W]`.
#[derive(Clone, Debug)]
pub struct ImageFolder {
    root: PathBuf,
    classes: Vec<String>,
    /// `(file, label, (width, height))`, in label then name order.
    files: Vec<(PathBuf, usize, (u32, u32))>,
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
                    let size = check_header(&file)?;
                    files.push((file, label, size));
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
    /// at the sample size, and for RGB the principal components of the
    /// pixels' colours: the normalisation the folder's own pixels call for,
    /// and AlexNet's colour jitter (decodes every image once).
    pub fn statistics(&self) -> crate::Result<FolderStats> {
        let c = self.dims[0];
        let plane = self.dims[1] * self.dims[2];
        // per image: the channel sums, then the sums of products c_i·c_j
        let moments = (0..self.files.len())
            .into_par_iter()
            .map(|i| {
                let raw = self.decode(i, None)?;
                let mut m = vec![0.0f64; c + c * c];
                for p in 0..plane {
                    for a in 0..c {
                        let va = raw[a * plane + p] as f64;
                        m[a] += va;
                        for b in 0..c {
                            m[c + a * c + b] += va * raw[b * plane + p] as f64;
                        }
                    }
                }
                Ok(m)
            })
            .reduce(
                || Ok(vec![0.0f64; c + c * c]),
                |a: crate::Result<Vec<f64>>, b| Ok(a?.iter().zip(b?).map(|(x, y)| x + y).collect()),
            )?;
        let n = (self.files.len() * plane).max(1) as f64;
        let mean: Vec<f64> = moments[..c].iter().map(|s| s / n).collect();
        let cov = |a: usize, b: usize| moments[c + a * c + b] / n - mean[a] * mean[b];
        let std = (0..c)
            .map(|a| (cov(a, a).max(0.0).sqrt() as f32).max(f32::MIN_POSITIVE))
            .collect();
        let pca = (c == 3)
            .then(|| PcaJitter::from_covariance([0, 1, 2].map(|a| [0, 1, 2].map(|b| cov(a, b)))));
        Ok(FolderStats {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std,
            pca,
        })
    }

    /// Image `i` (or its `region`) at the sample size, channels first,
    /// intensities 0 to 1.
    fn decode(&self, i: usize, region: Option<Region>) -> crate::Result<Vec<f32>> {
        let path = &self.files[i].0;
        let mut img =
            image::open(path).map_err(|e| Error::data(path, format!("cannot decode: {e}")))?;
        if let Some((x, y, w, h)) = region {
            img = img.crop_imm(x, y, w, h);
        }
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
        mut augment: Option<(&Augment, &mut StdRng)>,
        out: &mut Vec<f32>,
    ) -> crate::Result<()> {
        let [c, h, w] = self.dims;
        let size = c * h * w;
        if let Some((a, _)) = &augment {
            if a.distort.is_some() || (a.pca.is_some() && c != 3) {
                return Err(Error::shape(
                    "image folder",
                    format!(
                        "{}: the digit distortions work on 28x28 grey digits and the PCA colour jitter on RGB samples; use crops and flips",
                        self.root.display()
                    ),
                ));
            }
        }
        // every random draw in sample order, so that a batch does not
        // depend on how its decoding is scheduled
        let draws: Vec<(Option<Region>, [f32; 3])> = indices
            .iter()
            .map(|&i| match &mut augment {
                Some((a, rng)) => (
                    a.resized_crop
                        .map(|s| random_region(self.files[i].2, s, rng)),
                    a.pca.map_or([0.0; 3], |p| p.draw(rng)),
                ),
                None => (None, [0.0; 3]),
            })
            .collect();
        let decoded = indices
            .par_iter()
            .zip(&draws)
            .map(|(&i, (region, _))| self.decode(i, *region))
            .collect::<crate::Result<Vec<_>>>()?;
        out.clear();
        out.reserve(indices.len() * size);
        for (sample, (_, shift)) in decoded.iter().zip(&draws) {
            for (ch, plane) in sample.chunks_exact(h * w).enumerate() {
                let (m, s) = (self.mean[ch], self.std[ch]);
                let d = if c == 3 { shift[ch] } else { 0.0 };
                out.extend(plane.iter().map(|v| (v + d - m) / s));
            }
        }
        if let Some((augment, rng)) = augment {
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

/// Reads the header only: the format and the size, `(width, height)`.
fn check_header(path: &Path) -> crate::Result<(u32, u32)> {
    let bad = |e: String| Error::data(path, format!("not a readable PNG or JPEG image: {e}"));
    let reader = image::ImageReader::open(path)
        .map_err(|e| bad(e.to_string()))?
        .with_guessed_format()
        .map_err(|e| bad(e.to_string()))?;
    let (w, h) = reader.into_dimensions().map_err(|e| bad(e.to_string()))?;
    if w == 0 || h == 0 {
        return Err(bad(format!("it is {w}x{h}")));
    }
    Ok((w, h))
}

/// A region of an image: left, top, width, height.
type Region = (u32, u32, u32, u32);

/// torchvision's `RandomResizedCrop` region of a `w x h` image: ten tries
/// at an area of `[min_scale, 1]` of the image's and an aspect ratio of
/// `[3/4, 4/3]` (uniform in its logarithm), else the whole image.
fn random_region((w, h): (u32, u32), min_scale: f32, rng: &mut StdRng) -> Region {
    let area = (w * h) as f32;
    let (lo, hi) = ((3.0f32 / 4.0).ln(), (4.0f32 / 3.0).ln());
    for _ in 0..10 {
        let target = area * rng.gen_range(min_scale.clamp(0.0, 1.0)..=1.0);
        let ratio = rng.gen_range(lo..=hi).exp();
        let cw = (target * ratio).sqrt().round() as u32;
        let ch = (target / ratio).sqrt().round() as u32;
        if (1..=w).contains(&cw) && (1..=h).contains(&ch) {
            return (rng.gen_range(0..=w - cw), rng.gen_range(0..=h - ch), cw, ch);
        }
    }
    (0, 0, w, h)
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

    #[test]
    fn random_regions_lie_inside_with_the_drawn_area_and_ratio() {
        let mut rng = rand::SeedableRng::seed_from_u64(3);
        for _ in 0..500 {
            let (x, y, w, h) = random_region((60, 40), 0.2, &mut rng);
            assert!(x + w <= 60 && y + h <= 40 && w > 0 && h > 0);
            if (w, h) != (60, 40) {
                let ratio = w as f32 / h as f32;
                // rounding each side moves the ratio a little past its range
                assert!((0.7..=1.4).contains(&ratio), "{w}x{h}");
                assert!((w * h) as f32 >= 0.2 * 2400.0 * 0.9, "{w}x{h}");
            }
        }
        // the whole of a square image at scale 1 and ratio 1 is the one fit
        let mut whole = 0;
        for _ in 0..50 {
            let r = random_region((10, 10), 1.0, &mut rng);
            assert!(r.0 + r.2 <= 10 && r.1 + r.3 <= 10);
            whole += (r == (0, 0, 10, 10)) as usize;
        }
        assert!(whole > 0);
    }

    #[test]
    fn statistics_pca_jitter_and_resized_crops() {
        let root = make_folder("stats");
        let folder = ImageFolder::open(&root, &[3, 4, 6]).unwrap();
        let stats = folder.statistics().unwrap();
        // the naive mean and deviation of every decoded value, per channel
        let raw = folder.clone().normalised_by(&[0.0; 3], &[1.0; 3]).unwrap();
        let mut all = Vec::new();
        raw.batch_into(&[0, 1, 2, 3], None, &mut all).unwrap();
        for ch in 0..3 {
            let v: Vec<f32> = all
                .chunks_exact(24)
                .skip(ch)
                .step_by(3)
                .flatten()
                .copied()
                .collect();
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32;
            assert!(
                (stats.mean[ch] - mean).abs() < 1e-5,
                "{} vs {mean}",
                stats.mean[ch]
            );
            assert!((stats.std[ch] - var.sqrt()).abs() < 1e-5);
        }
        // PCA jitter: one constant shift per channel of each image
        let pca = stats.pca.unwrap();
        let jitter = Augment {
            pca: Some(PcaJitter { sigma: 1.0, ..pca }),
            ..Augment::NONE
        };
        let mut rng = rand::SeedableRng::seed_from_u64(4);
        let mut shifted = Vec::new();
        raw.batch_into(&[0], Some((&jitter, &mut rng)), &mut shifted)
            .unwrap();
        for ch in 0..3 {
            let d: Vec<f32> = (0..24)
                .map(|p| shifted[ch * 24 + p] - all[ch * 24 + p])
                .collect();
            assert!(d.iter().all(|x| (x - d[0]).abs() < 1e-5), "{d:?}");
        }
        assert_ne!(shifted, all[..72].to_vec());
        // a resized crop is a seeded function of the draw
        let crop = Augment {
            resized_crop: Some(0.3),
            ..Augment::NONE
        };
        let draw = |seed| {
            let mut out = Vec::new();
            let mut rng = rand::SeedableRng::seed_from_u64(seed);
            raw.batch_into(&[0, 1], Some((&crop, &mut rng)), &mut out)
                .unwrap();
            out
        };
        assert_eq!(draw(5), draw(5));
        assert!((0..10).any(|s| draw(s) != all[..144].to_vec()));
        // grey samples take no colour jitter
        let grey = ImageFolder::open(&root, &[1, 4, 6]).unwrap();
        let e = grey
            .batch_into(&[0], Some((&jitter, &mut rng)), &mut shifted)
            .unwrap_err();
        assert!(e.to_string().contains("PCA colour jitter on RGB"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
