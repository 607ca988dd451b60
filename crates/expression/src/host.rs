//! What the JavaScript runtime asks the host for: time zones (the IANA database bundled by
//! jiff), hashes, base64, URL parsing and the vendored libraries' sources. No IO: none of these
//! reads a file or the network.

use base64::Engine as _;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The sources of the libraries the runtime loads when first needed (pinned, see
/// `js/vendor/README.md`).
pub(crate) fn library(name: &str) -> Option<&'static str> {
    match name {
        "luxon" => Some(include_str!("../js/vendor/luxon.min.js")),
        "jmespath" => Some(include_str!("../js/vendor/jmespath.js")),
        "transliteration" => Some(include_str!("../js/vendor/transliteration.min.js")),
        _ => None,
    }
}

fn zone(name: &str) -> Option<TimeZone> {
    if name.eq_ignore_ascii_case("utc") || name.eq_ignore_ascii_case("etc/utc") {
        return Some(TimeZone::UTC);
    }
    TimeZone::get(name).ok()
}

/// The canonical name of a time zone, or `None` when there is no such zone.
pub(crate) fn tz_valid(name: &str) -> Option<String> {
    if name.eq_ignore_ascii_case("utc") || name.eq_ignore_ascii_case("etc/utc") {
        return Some("UTC".into());
    }
    let tz = zone(name)?;
    Some(tz.iana_name().unwrap_or(name).to_string())
}

fn timestamp(ms: f64) -> Option<Timestamp> {
    if !ms.is_finite() {
        return None;
    }
    Timestamp::from_millisecond(ms.floor() as i64).ok()
}

/// The offset from UTC, in minutes, of `zone` at the instant `ms` (milliseconds since 1970).
pub(crate) fn tz_offset(name: &str, ms: f64) -> f64 {
    match (zone(name), timestamp(ms)) {
        (Some(tz), Some(ts)) => f64::from(tz.to_offset(ts).seconds()) / 60.0,
        _ => f64::NAN,
    }
}

/// The zone's abbreviation at `ms` (`EST`, `CET`; `GMT+5` style where the database has none).
pub(crate) fn tz_abbreviation(name: &str, ms: f64) -> String {
    let (Some(tz), Some(ts)) = (zone(name), timestamp(ms)) else {
        return String::new();
    };
    if tz.iana_name() == Some("UTC") || name.eq_ignore_ascii_case("utc") {
        return "UTC".into();
    }
    let info = tz.to_offset_info(ts);
    let abbreviation = info.abbreviation();
    if abbreviation.starts_with(['+', '-']) || abbreviation.is_empty() {
        let seconds = info.offset().seconds();
        let (sign, seconds) = if seconds < 0 {
            ('-', -seconds)
        } else {
            ('+', seconds)
        };
        let (hours, minutes) = (seconds / 3600, (seconds % 3600) / 60);
        return if minutes == 0 {
            format!("GMT{sign}{hours}")
        } else {
            format!("GMT{sign}{hours}:{minutes:02}")
        };
    }
    abbreviation.to_string()
}

/// The system's time zone name (JavaScript's local time).
pub(crate) fn system_zone() -> String {
    TimeZone::system()
        .iana_name()
        .map(str::to_string)
        .unwrap_or_else(|| "UTC".into())
}

/// Hex digest of the UTF-8 text (n8n's `hash()`; `sha3` is SHA3-512).
pub(crate) fn hash(algorithm: &str, text: &str) -> String {
    use sha2::Digest;
    let bytes = text.as_bytes();
    let digest: Vec<u8> = match algorithm {
        "md5" => md5::Md5::digest(bytes).to_vec(),
        "sha1" => sha1::Sha1::digest(bytes).to_vec(),
        "sha224" => sha2::Sha224::digest(bytes).to_vec(),
        "sha256" => sha2::Sha256::digest(bytes).to_vec(),
        "sha384" => sha2::Sha384::digest(bytes).to_vec(),
        "sha512" => sha2::Sha512::digest(bytes).to_vec(),
        _ => sha3::Sha3_512::digest(bytes).to_vec(),
    };
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Base64 of the UTF-8 text.
pub(crate) fn base64_encode(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

/// Text from base64 (standard or URL-safe alphabet, padding optional, other characters
/// ignored), invalid UTF-8 replaced.
pub(crate) fn base64_decode(text: &str) -> String {
    let mut clean: String = text
        .chars()
        .filter_map(|c| match c {
            '-' => Some('+'),
            '_' => Some('/'),
            c if c.is_ascii_alphanumeric() || c == '+' || c == '/' => Some(c),
            _ => None,
        })
        .collect();
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    while !clean.len().is_multiple_of(4) {
        clean.push('=');
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(clean.as_bytes())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The path of a URL (WHATWG parsing, as `new URL(text).pathname`), `None` when it is no URL.
pub(crate) fn url_path(text: &str) -> Option<String> {
    url::Url::parse(text).ok().map(|u| u.path().to_string())
}
