//! The command examples of the README and docs/: read, run, compared with what they show
//! (standalone/docs_examples.rs and directus/docs_examples.rs run them).
//!
//! Every ```console block is a session (a command that runs until stopped, such as `noderun
//! trigger` or `noderun mcp --listen` on its fixed port, is shown as a ```text block instead): `$ ` starts a command (continued by lines ending in
//! `\`), the lines up to the next command are what it prints (stdout and stderr, as a terminal
//! shows them). The commands of a block run one after the other with `sh` in a directory of their
//! own (a block's files carry over, as in the reader's shell), with the `noderun` binary first
//! in PATH; what they print must match line by line, where `…` stands for any text (shortened
//! tokens), a line of its own `…` for one or more lines (a shortened list), and a run's time (`in 1.03s`) is any time. A command that shows no output must succeed.
//!
//! Blocks whose commands use `creds.json` run against the real Directus of `scripts/test`:
//! `creds.json` holds its URL, its URL reads as `http://127.0.0.1:8055` in the output, and the
//! admin's email and password are the server's.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::directus::Directus;

/// One command of a console block and what it prints.
pub struct Example {
    /// Where it is, for messages: `README.md:57`.
    place: String,
    command: String,
    expected: Vec<String>,
}

/// The console blocks of the README and docs/*.md, each a list of examples.
pub fn blocks() -> Vec<Vec<Example>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut blocks = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a doc");
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let mut block: Option<Vec<Example>> = None;
        let mut continued = false;
        for (n, line) in text.lines().enumerate() {
            match &mut block {
                None if line.trim_start() == "```console" => block = Some(Vec::new()),
                None => {}
                Some(_) if line.trim_start() == "```" => {
                    let mut examples = block.take().unwrap();
                    for e in &mut examples {
                        while e.expected.last().is_some_and(String::is_empty) {
                            e.expected.pop();
                        }
                    }
                    blocks.push(examples);
                }
                Some(examples) => {
                    if let Some(command) = line.strip_prefix("$ ") {
                        examples.push(Example {
                            place: format!("{name}:{}", n + 1),
                            command: command.to_string(),
                            expected: Vec::new(),
                        });
                        continued = command.ends_with('\\');
                    } else if continued {
                        let e = examples.last_mut().expect("a command");
                        e.command.push('\n');
                        e.command.push_str(line);
                        continued = line.ends_with('\\');
                    } else {
                        let e = examples.last_mut().expect("output after a command");
                        e.expected.push(line.to_string());
                    }
                }
            }
        }
    }
    blocks
}

/// Whether `actual` matches `expected`, in which `…` stands for any text.
/// The printed lines match the shown ones, line by line; a shown line that is only `…` stands
/// for one or more printed lines (a long list shortened in the docs).
pub fn lines_match(expected: &[String], printed: &[&str]) -> bool {
    match (expected.first(), printed.first()) {
        (None, None) => true,
        (Some(x), _) if x == "…" => {
            (1..=printed.len()).any(|skip| lines_match(&expected[1..], &printed[skip..]))
        }
        (Some(x), Some(a)) => {
            matches(&without_times(x), &without_times(a))
                && lines_match(&expected[1..], &printed[1..])
        }
        _ => false,
    }
}

pub fn matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split('…').collect();
    if parts.len() == 1 {
        return expected == actual;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &actual[first.len()..];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// A run's time (` in 1.03s`) as ` in Ts`.
pub fn without_times(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(" in ") {
        let after = &rest[i + 4..];
        let digits = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        out.push_str(&rest[..i + 4]);
        if digits > 0 && after[digits..].starts_with('s') {
            out.push('T');
            rest = &after[digits..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Runs a block's examples in a fresh directory; `directus` is the server for `creds.json`.
pub fn run_block(examples: &[Example], directus: Option<&Directus>) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("docs_examples")
        .join(examples[0].place.replace([':', '.'], "_"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(d) = directus {
        std::fs::write(
            dir.join("creds.json"),
            format!("{{\"url\": \"{}\"}}", d.url),
        )
        .unwrap();
    }
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_noderun")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for e in examples {
        let mut command = e.command.clone();
        if directus.is_some() {
            for (shown, variable) in [
                ("admin@example.com", "NODERUN_TEST_ADMIN_EMAIL"),
                ("AdminPass123!", "NODERUN_TEST_ADMIN_PASSWORD"),
            ] {
                command = command.replace(shown, &std::env::var(variable).unwrap());
            }
        }
        let out = Command::new("sh")
            .args(["-c", &format!("{{ {command}\n}} 2>&1")])
            .current_dir(&dir)
            .env("PATH", &path)
            .env_remove("DIRECTUS_URL")
            .env_remove("DIRECTUS_TOKEN")
            .env_remove("RUST_LOG")
            .env_remove("COLUMNS")
            .output()
            .expect("sh runs");
        let mut printed = String::from_utf8(out.stdout).expect("UTF-8 output");
        if let Some(d) = directus {
            printed = printed.replace(&d.url, "http://127.0.0.1:8055");
        }
        let printed: Vec<&str> = printed.lines().collect();
        if e.expected.is_empty() {
            assert!(
                out.status.success() && printed.is_empty(),
                "{}: `{}` failed or printed: {printed:#?}",
                e.place,
                e.command
            );
            continue;
        }
        let ok = lines_match(&e.expected, &printed);
        assert!(
            ok,
            "{}: `{}` printed\n{}\nwhere the docs show\n{}",
            e.place,
            e.command,
            printed.join("\n"),
            e.expected.join("\n")
        );
    }
}

pub fn needs_directus(block: &[Example]) -> bool {
    block.iter().any(|e| e.command.contains("creds.json"))
}
