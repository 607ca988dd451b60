//! The measure of repetition (issue 19): how much of the content of the source form, and of
//! the files generated from it, repeats. docs/definitions-source.md says how it counts.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{SourceFile, generate, read};
use crate::problem::Problem;

/// How much content repeats: `repeated` of `bytes` (normalised compact JSON) in `units` entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Repetition {
    /// Entries counted (properties, choices, collection fields, groups, parts' contents and
    /// defaults, parameters of uses).
    pub units: usize,
    /// Uses of parts.
    pub uses: usize,
    /// Their content, in bytes.
    pub bytes: usize,
    /// The bytes of entries equal to an entry counted before them.
    pub repeated: usize,
}

impl Repetition {
    /// The repeated share, in percent.
    pub fn percent(&self) -> f64 {
        if self.bytes == 0 {
            0.0
        } else {
            100.0 * self.repeated as f64 / self.bytes as f64
        }
    }
}

impl std::fmt::Display for Repetition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1}% repeated ({} of {} bytes in {} entries; {} uses of parts)",
            self.percent(),
            self.repeated,
            self.bytes,
            self.units,
            self.uses
        )
    }
}

/// The repetition of the source files and of the resource files generated from them, measured
/// the same way (docs/definitions-source.md): every entry — a property, a choice, a field of a
/// collection, a group, a part's content and its defaults, a resource's `with`, the parameters
/// (`with`) of a use of a part — is its own JSON with the entries nested in it left out, keys
/// sorted and the resource's words (the string values of its `with` of three letters or more,
/// and its name) replaced by placeholders; an entry equal to one counted before it is repeated
/// content. The name of the part a use names is a reference, not content.
///
/// # Errors
/// The problems of [`generate`].
pub fn repetition(sources: &[(String, String)]) -> Result<(Repetition, Repetition), Vec<Problem>> {
    let generated = generate(sources)?;
    let mut problems = Vec::new();
    let files = read(sources, &mut problems);
    let mut words_of: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut source = Counter::default();
    for file in &files {
        match file {
            SourceFile::Parts(_, parts) => {
                for part in parts.parts.values() {
                    match &part.content {
                        Value::Array(items) => items.iter().for_each(|i| source.entry(i, &[])),
                        other => source.entry(other, &[]),
                    }
                    if !part.defaults.is_empty() {
                        source.entry(&Value::Object(part.defaults.clone()), &[]);
                    }
                }
            }
            SourceFile::Resource(path, resource) => {
                let mut words: Vec<(String, String)> = resource
                    .with
                    .iter()
                    .filter_map(|(k, v)| Some((v.as_str()?.to_string(), format!("${{{k}}}"))))
                    .filter(|(w, _)| w.chars().count() >= 3)
                    .chain([(resource.resource.clone(), "${resource}".into())])
                    .collect();
                words.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
                if !resource.with.is_empty() {
                    source.entry(&Value::Object(resource.with.clone()), &[]);
                }
                for entry in resource.operations.iter().chain(&resource.properties) {
                    source.entry(entry, &words);
                }
                words_of.insert(path.clone(), words);
            }
        }
    }
    let mut output = Counter::default();
    for (path, text) in &generated {
        let value: Value = serde_json::from_str(text).expect("generated JSON");
        let words = &words_of[path];
        for property in value["properties"].as_array().into_iter().flatten() {
            output.entry(property, words);
        }
    }
    Ok((output.total, source.total))
}

#[derive(Default)]
struct Counter {
    seen: BTreeSet<String>,
    total: Repetition,
}

impl Counter {
    /// Counts `entry` and the entries nested in it (in `options`, `values`, lists of
    /// properties or operations, and uses of parts). A use is counted by its parameters: the
    /// name of the part it uses is a reference, not content.
    fn entry(&mut self, entry: &Value, words: &[(String, String)]) {
        let own = match entry {
            Value::Object(map) if map.contains_key("use") => {
                self.total.uses += 1;
                match map.get("with") {
                    Some(with) => self.strip(with, words),
                    None => return,
                }
            }
            other => self.strip(other, words),
        };
        let text = normalise(
            &serde_json::to_string(&crate::sorted(&own)).expect("JSON"),
            words,
        );
        self.total.units += 1;
        self.total.bytes += text.len();
        if !self.seen.insert(text.clone()) {
            self.total.repeated += text.len();
        }
    }

    /// `value` with its nested entries counted and replaced by a marker.
    fn strip(&mut self, value: &Value, words: &[(String, String)]) -> Value {
        match value {
            Value::Object(map) if map.contains_key("use") => {
                self.entry(value, words);
                json!("…")
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let nested = match v {
                            Value::Array(items)
                                if matches!(
                                    k.as_str(),
                                    "options" | "values" | "operations" | "properties"
                                ) && items.iter().all(Value::is_object) =>
                            {
                                items.iter().for_each(|i| self.entry(i, words));
                                Value::Array(items.iter().map(|_| json!("…")).collect())
                            }
                            other => self.strip(other, words),
                        };
                        (k.clone(), nested)
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.strip(v, words)).collect())
            }
            other => other.clone(),
        }
    }
}

/// `text` with each word replaced by its placeholder where it stands as a whole word.
fn normalise(text: &str, words: &[(String, String)]) -> String {
    let mut text = text.to_string();
    for (word, placeholder) in words {
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(word.as_str()) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + word.len()..].chars().next();
            let boundary = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            out.push_str(&rest[..at]);
            if boundary(before) && boundary(after) {
                out.push_str(placeholder);
            } else {
                out.push_str(word);
            }
            rest = &rest[at + word.len()..];
        }
        out.push_str(rest);
        text = out;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_normalised_where_they_stand_alone() {
        let words = [("role".to_string(), "${singular}".to_string())];
        assert_eq!(
            normalise("Get a role of roles (role_id, role)", &words),
            "Get a ${singular} of roles (role_id, ${singular})"
        );
    }
}
