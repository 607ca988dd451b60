//! Reading definition files: the embedded ones, a directory's, (path, text) pairs; each file
//! checked against the format schema (when asked) and deserialized into the model.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::Value;

use crate::compat::CompatFile;
use crate::format::{FileKind, FormatSchemas};
use crate::model::{CredentialType, NodeDescription, ResourceFile};
use crate::problem::{Error, Problem};

/// The directory of the source form, below `node-definitions/`: not definitions, not read.
pub const SOURCE_DIR: &str = "source";

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The files embedded in the binary (`node-definitions/` at build time, but `source/`), as
/// (path, text).
pub(crate) fn embedded() -> BTreeMap<String, String> {
    embedded::EMBEDDED
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

/// The definition files read, by kind, with the problems found reading them.
#[derive(Default)]
pub(crate) struct Files {
    /// Per node directory: the node file's path and description.
    pub(crate) nodes: BTreeMap<String, (String, NodeDescription)>,
    /// Per node directory: its resource files, as (path, content).
    pub(crate) resources: BTreeMap<String, Vec<(String, ResourceFile)>>,
    /// Per credential type name: its file's path and content.
    pub(crate) credentials: BTreeMap<String, (String, CredentialType)>,
    /// Other packages' node types, as (node directory, path, content).
    pub(crate) compat: Vec<(String, String, CompatFile)>,
    /// Node directories with a file that could not be read: they are not assembled, their
    /// other problems would be noise.
    pub(crate) unreadable: HashSet<String>,
}

/// Reads (path, text) pairs laid out like `node-definitions/`; with `check_format`, each file is
/// first checked against the format schema, so that its problems have JSON pointers.
pub(crate) fn read(
    sources: &[(String, String)],
    check_format: bool,
    problems: &mut Vec<Problem>,
) -> Files {
    let formats = check_format.then(FormatSchemas::new);
    let mut files = Files::default();
    for (path, text) in sources {
        if path.ends_with("format.schema.json") {
            continue;
        }
        let problem = |pointer: &str, message: String| Problem {
            file: path.clone(),
            pointer: pointer.into(),
            message,
        };
        let parts: Vec<&str> = path.split('/').collect();
        let kind = match parts.as_slice() {
            ["credentials", _] => FileKind::Credential,
            [_, "node.json"] => FileKind::Node,
            [_, "compat", _] => FileKind::Compat,
            [_, _] => FileKind::Resource,
            _ => {
                problems.push(problem("", "unexpected file: expected <node>/node.json, <node>/<resource>.json, <node>/compat/<name>.json or credentials/<name>.json".into()));
                continue;
            }
        };
        if let Some(formats) = &formats {
            let format_problems = match serde_json::from_str::<Value>(text) {
                Ok(value) => formats.check(kind, &value),
                Err(e) => vec![(String::new(), format!("not valid JSON: {e}"))],
            };
            if !format_problems.is_empty() {
                files.unreadable.insert(parts[0].to_string());
                problems.extend(
                    format_problems
                        .into_iter()
                        .map(|(pointer, message)| problem(&pointer, message)),
                );
                continue;
            }
        }
        let parsed = match kind {
            FileKind::Node => serde_json::from_str::<NodeDescription>(text).map(|n| {
                files.nodes.insert(parts[0].to_string(), (path.clone(), n));
            }),
            FileKind::Resource => serde_json::from_str::<ResourceFile>(text).map(|r| {
                files
                    .resources
                    .entry(parts[0].to_string())
                    .or_default()
                    .push((path.clone(), r));
            }),
            FileKind::Credential => serde_json::from_str::<CredentialType>(text).map(|c| {
                files.credentials.insert(c.name.clone(), (path.clone(), c));
            }),
            FileKind::Compat => serde_json::from_str::<CompatFile>(text).map(|c| {
                files.compat.push((parts[0].to_string(), path.clone(), c));
            }),
        };
        if let Err(e) = parsed {
            files.unreadable.insert(parts[0].to_string());
            problems.push(problem("", e.to_string()));
        }
    }
    files
}

/// Adds the files of a directory laid out like `node-definitions/` to `out` (path below `dir`
/// to text), replacing those of the same path; the source form (`source/`) is not read.
pub(crate) fn read_dir(
    dir: &Path,
    root: &Path,
    out: &mut BTreeMap<String, String>,
) -> Result<(), Error> {
    let io = |e: std::io::Error, p: &Path| Error::Io {
        path: p.display().to_string(),
        source: e,
    };
    for entry in std::fs::read_dir(dir).map_err(|e| io(e, dir))? {
        let path = entry.map_err(|e| io(e, dir))?.path();
        if path.is_dir() && path != root.join(SOURCE_DIR) {
            read_dir(&path, root, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(
                rel,
                std::fs::read_to_string(&path).map_err(|e| io(e, &path))?,
            );
        }
    }
    Ok(())
}
