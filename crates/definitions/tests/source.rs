//! The source form: the n8n-format resource files in `node-definitions/<node>/` are generated from
//! `node-definitions/source/` and checked in; regenerating changes nothing, the source files
//! follow their schema, and the source repeats little.
//!
//! Regenerate after a change to the source: `NODERUN_BLESS=1 cargo test -p noderun-definitions
//! --test source` (or `scripts/bless`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use noderun_definitions::sorted;
use noderun_definitions::source::{self, SOURCE_DIR};
use serde_json::Value;

fn definitions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node-definitions")
}

/// Every file below `dir`, as (path relative to `dir`, text).
fn files(dir: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn source_files() -> Vec<(String, String)> {
    files(&definitions_dir().join(SOURCE_DIR))
}

const BLESS: &str =
    "run `NODERUN_BLESS=1 cargo test -p noderun-definitions --test source` (or scripts/bless)";

#[test]
fn generated_files_are_current() {
    let bless = std::env::var_os("NODERUN_BLESS").is_some();
    let generated = source::generate(&source_files()).unwrap_or_else(|problems| {
        panic!(
            "the source does not generate:\n{}",
            problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let mut stale = vec![];
    let mut nodes = BTreeSet::new();
    for (path, text) in &generated {
        nodes.insert(path.split('/').next().unwrap().to_string());
        let target = definitions_dir().join(path);
        if bless {
            std::fs::write(&target, text).unwrap();
        } else if std::fs::read_to_string(&target).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.clone());
        }
    }
    assert!(stale.is_empty(), "stale generated files {stale:?}: {BLESS}");
    // In a node with a source, every resource file comes from it (node.json and the compat
    // files, other packages' node types, are written by hand).
    let generated: BTreeSet<&str> = generated.iter().map(|(p, _)| p.as_str()).collect();
    for node in &nodes {
        for (path, _) in files(&definitions_dir().join(node)) {
            let path = format!("{node}/{path}");
            assert!(
                path.ends_with("/node.json")
                    || path.starts_with(&format!("{node}/compat/"))
                    || generated.contains(path.as_str()),
                "{path} has no source: write node-definitions/{SOURCE_DIR}/{path}, or delete it"
            );
        }
    }
}

#[test]
fn source_schema_file_is_current_and_the_source_follows_it() {
    let path = definitions_dir()
        .join(SOURCE_DIR)
        .join("source.schema.json");
    let schema = source::source_schema();
    let generated = serde_json::to_string_pretty(&sorted(&schema)).unwrap() + "\n";
    if std::env::var_os("NODERUN_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{SOURCE_DIR}/source.schema.json is stale: {BLESS}"
    );
    assert!(jsonschema::draft202012::meta::is_valid(&schema));
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    for (path, text) in source_files() {
        if path == "source.schema.json" {
            continue;
        }
        let value: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:?}");
    }
}

/// The measure of issue 19: how much of the content repeats, in the generated files and in the
/// source (docs/definitions-source.md says how it is counted). Printed; the source must stay
/// under 5%.
#[test]
fn the_source_repeats_little() {
    let (generated, source) = source::repetition(&source_files()).unwrap();
    eprintln!("generated node-definitions: {generated}");
    eprintln!("source (node-definitions/{SOURCE_DIR}): {source}");
    assert!(
        source.percent() < 5.0,
        "the source repeats {source}: make a part of what repeats (docs/definitions-source.md)"
    );
    assert!(generated.bytes > 0);
}
