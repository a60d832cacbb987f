//! A minimal PNG encoder: 8-bit RGB, no filtering, one zlib stream.

use flate2::write::ZlibEncoder;
use flate2::{Compression, Crc};
use std::io::Write;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// One chunk: length, type, data, and the CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// Encodes `rgb` (row-major, 3 bytes a pixel) as a PNG file's bytes.
///
/// # Panics
/// If `rgb` does not hold `width · height` pixels: callers build it from
/// their own canvas, so a mismatch is a bug, not bad input.
pub fn encode_rgb(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let row = width as usize * 3;
    assert_eq!(rgb.len(), row * height as usize, "pixel buffer size");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // bit depth 8, colour type 2 (RGB), deflate, no filter method, no interlace
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    for line in rgb.chunks_exact(row.max(1)).take(height as usize) {
        // filter type 0 (none) before every scanline; writes to a Vec cannot fail
        let _ = z.write_all(&[0]);
        let _ = z.write_all(line);
    }
    let idat = z.finish().unwrap_or_default();
    let mut out = SIGNATURE.to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::ZlibDecoder;
    use std::io::Read;

    /// The chunks of a PNG file, each checked against its CRC.
    fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        assert_eq!(&png[..8], &SIGNATURE);
        let mut at = 8;
        let mut out = vec![];
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = png[at + 4..at + 8].try_into().unwrap();
            let data = png[at + 8..at + 8 + len].to_vec();
            let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            let mut c = Crc::new();
            c.update(&kind);
            c.update(&data);
            assert_eq!(c.sum(), crc, "CRC of {}", String::from_utf8_lossy(&kind));
            out.push((kind, data));
            at += 12 + len;
        }
        out
    }

    #[test]
    fn encodes_header_scanlines_and_crcs() {
        let (w, h) = (3u32, 2u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 13) as u8).collect();
        let png = encode_rgb(w, h, &rgb);
        let parts = chunks(&png);
        let kinds: Vec<&[u8; 4]> = parts.iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [b"IHDR", b"IDAT", b"IEND"]);
        assert_eq!(parts[0].1, [0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
        let mut raw = vec![];
        ZlibDecoder::new(&parts[1].1[..])
            .read_to_end(&mut raw)
            .unwrap();
        let mut want = vec![0u8];
        want.extend_from_slice(&rgb[..9]);
        want.push(0);
        want.extend_from_slice(&rgb[9..]);
        assert_eq!(raw, want, "each scanline is filter 0 then its pixels");
        // the standard CRC-32 check value
        let mut c = Crc::new();
        c.update(b"123456789");
        assert_eq!(c.sum(), 0xCBF4_3926);
    }
}
