//! Binary data: n8n's `binary` properties read for uploads and written for downloads, streamed.
//!
//! An item's `binary` map is kept as given (read and written unchanged); a property is only
//! interpreted when an upload names it. Two modes, as in n8n: the bytes travel in the item as
//! base64 (`data`, n8n's default), or, with [`Settings::binary_dir`], in files of that
//! directory that the item references (`path`, like n8n's filesystem mode). Uploads are sent as
//! a stream (a file is never read whole), downloads are streamed to a file or base64-encoded as
//! they arrive, so a file is held in memory at most once (base64 mode) or not at all.
//!
//! Three rooms: [`upload`] reads an item's binary properties for a request, [`multipart`] makes
//! the multipart body that carries them, [`download`] writes a binary response into a property.

pub(crate) mod download;
pub(crate) mod multipart;
pub(crate) mod upload;

pub use noderun_plan::BinaryData;

/// `size` as n8n's `prettyBytes` writes it: SI units, three significant digits.
pub(crate) fn pretty_bytes(size: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if size < 1000 {
        return format!("{size} B");
    }
    let exponent = ((size as f64).log10() / 3.0).floor() as usize;
    let exponent = exponent.min(UNITS.len() - 1);
    let value = size as f64 / 1000f64.powi(exponent as i32);
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text} {}", UNITS[exponent])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_as_n8n_writes_them() {
        assert_eq!(pretty_bytes(0), "0 B");
        assert_eq!(pretty_bytes(999), "999 B");
        assert_eq!(pretty_bytes(1000), "1 kB");
        assert_eq!(pretty_bytes(1234), "1.23 kB");
        assert_eq!(pretty_bytes(45_678), "45.7 kB");
        assert_eq!(pretty_bytes(1_000_000_000), "1 GB");
    }
}
