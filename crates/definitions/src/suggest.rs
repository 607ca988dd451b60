//! "Did you mean": the known name closest to a mistyped one, as git and clap suggest it.
//!
//! A name that differs only in case is the suggestion; otherwise the most similar name by
//! Jaro-Winkler similarity (`strsim`, clap's measure, which favours a common beginning), when it
//! is similar enough to be what was meant.

/// Similarity below which a known name is not suggested.
const THRESHOLD: f64 = 0.8;

/// The known name `given` most likely meant, if one is close.
pub fn closest<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = given.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for name in known {
        let score = if name.to_lowercase() == lower {
            2.0
        } else {
            strsim::jaro_winkler(&lower, &name.to_lowercase())
        };
        if score >= THRESHOLD && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, name));
        }
    }
    best.map(|(_, name)| name)
}

/// How an error about an unknown name ends: `did you mean 'x'?` when a known name is close,
/// else the known names (`valid <what>: a, b, c`).
pub fn hint(given: &str, what: &str, known: &[&str]) -> String {
    match closest(given, known.iter().copied()) {
        Some(name) => format!("did you mean '{name}'?"),
        None => format!("valid {what}: {}", known.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let known = [
            "items", "fields", "files", "folders", "users", "auth", "activity",
        ];
        for (given, expected) in [
            ("item", Some("items")),
            ("Items", Some("items")),
            ("feilds", Some("fields")),
            ("usr", Some("users")),
            ("fles", Some("files")),
            ("xyz", None),
            ("permissions", None),
        ] {
            assert_eq!(closest(given, known), expected, "{given}");
        }
        let ops = [
            "list",
            "login",
            "logout",
            "refreshToken",
            "requestReset",
            "resetPassword",
        ];
        for (given, expected) in [
            ("refreshtoken", Some("refreshToken")),
            ("refreshTokn", Some("refreshToken")),
            ("logn", Some("login")),
            ("signin", None),
        ] {
            assert_eq!(closest(given, ops), expected, "{given}");
        }
    }
}
