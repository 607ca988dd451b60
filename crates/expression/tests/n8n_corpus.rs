//! The expression corpus (tests/n8n/expressions/corpus.txt), evaluated by noderun and by n8n's own
//! evaluator (n8n-workflow, pinned in tests/n8n/package.json; `scripts/test` installs it) on the
//! same workflow and items (tests/n8n/expressions/setup.json): every entry gives the same value,
//! or an error on both sides, except the entries marked `[difference]`, where n8n gives a value
//! (its `undefined` for a failed segment) and noderun fails naming the path. Entries within the
//! native subset are also run through the JavaScript engine: both evaluators must agree.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use noderun_expression::{
    Context, ContextData, Evaluator, ExecutionInfo, Scope, Template, json_stringify,
};
use serde_json::{Value, json};

struct Entry {
    line: usize,
    expression: String,
    item: usize,
    difference: bool,
}

fn corpus(dir: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(dir.join("corpus.txt")).expect("corpus.txt");
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (mut rest, mut item, mut difference) = (line, 0, false);
        while let Some(after) = rest.strip_prefix('[') {
            let (flag, tail) = after.split_once("] ").expect("a flag ends with '] '");
            match flag.split_once('=') {
                Some(("item", n)) => item = n.parse().expect("item index"),
                None if flag == "difference" => difference = true,
                _ => panic!("line {}: unknown flag [{flag}]", i + 1),
            }
            rest = tail;
        }
        assert!(
            rest.starts_with('='),
            "line {}: an expression starts with '='",
            i + 1
        );
        entries.push(Entry {
            line: i + 1,
            expression: rest.to_string(),
            item,
            difference,
        });
    }
    entries
}

/// What an evaluation gave, comparable across the two: the value as JSON text (as JavaScript's
/// `JSON.stringify` writes it), undefined, or an error.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Value(String),
    Undefined,
    Error(String),
}

fn n8n_outcomes(dir: &Path, setup: &Value, entries: &[Entry]) -> Vec<Outcome> {
    let input = json!({
        "setup": setup,
        "entries": entries.iter().map(|e| json!({"expression": e.expression, "item": e.item})).collect::<Vec<_>>(),
    });
    let mut child = Command::new("node")
        .arg("expressions.js")
        .current_dir(dir.join(".."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "expressions.js failed");
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON results");
    results
        .into_iter()
        .map(|r| {
            if let Some(v) = r.get("value").and_then(Value::as_str) {
                // Re-serialised the way noderun writes values (key order and numbers kept).
                Outcome::Value(json_stringify(&serde_json::from_str(v).unwrap()))
            } else if let Some(e) = r.get("error").and_then(Value::as_str) {
                Outcome::Error(e.to_string())
            } else {
                Outcome::Undefined
            }
        })
        .collect()
}

fn context(setup: &Value) -> Context {
    let mut data = ContextData::from_workflow(&setup["workflow"], setup["node"].as_str().unwrap())
        .expect("the corpus workflow");
    data.mode = setup["mode"].as_str().unwrap().to_string();
    let keys = &setup["additionalKeys"];
    data.execution = ExecutionInfo {
        id: keys["$execution"]["id"].as_str().unwrap().into(),
        mode: keys["$execution"]["mode"].as_str().unwrap().into(),
    };
    data.vars = keys["$vars"].as_object().unwrap().clone();
    for (name, items) in setup["outputs"].as_object().unwrap() {
        data.outputs
            .insert(name.clone(), items.as_array().unwrap().clone());
    }
    data.input = Some(setup["input"].as_array().unwrap().clone());
    Context::new(data)
}

fn noderun_outcome(
    template: Result<Template, noderun_expression::Error>,
    context: &Context,
    item: &Value,
    index: usize,
) -> Outcome {
    let template = match template {
        Ok(t) => t,
        Err(e) => return Outcome::Error(e.message),
    };
    let scope = Scope {
        json: item["json"].as_object(),
        binary: item.get("binary").and_then(Value::as_object),
        paired_item: item.get("pairedItem"),
        item_index: index,
        context: Some(context),
        ..Scope::default()
    };
    match template.evaluate(&scope) {
        Ok(Some(v)) => Outcome::Value(json_stringify(&v)),
        Ok(None) => Outcome::Undefined,
        Err(e) => Outcome::Error(e.message),
    }
}

#[test]
fn noderun_agrees_with_n8n_on_the_expression_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/n8n/expressions");
    if !dir.join("../node_modules/n8n-workflow").is_dir() {
        panic!("n8n-workflow is not installed: run scripts/test (or `npm ci` in tests/n8n)");
    }
    let setup: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("setup.json")).unwrap()).unwrap();
    let entries = corpus(&dir);
    assert!(
        entries.len() >= 500,
        "the corpus has {} entries",
        entries.len()
    );
    let expected = n8n_outcomes(&dir, &setup, &entries);
    let context = context(&setup);
    let input = setup["input"].as_array().unwrap();

    let (mut same, mut differences, mut native) = (0, 0, 0);
    let mut failures = Vec::new();
    for (entry, n8n) in entries.iter().zip(&expected) {
        let item = &input[entry.item];
        let template = Template::parse(&entry.expression);
        if template
            .as_ref()
            .is_ok_and(|t| t.evaluator() == Evaluator::Native)
        {
            native += 1;
            let script = noderun_outcome(
                Template::parse_script(&entry.expression),
                &context,
                item,
                entry.item,
            );
            let ours = noderun_outcome(
                Template::parse(&entry.expression),
                &context,
                item,
                entry.item,
            );
            let agree = match (&ours, &script) {
                (Outcome::Error(_), Outcome::Error(_)) => true,
                (a, b) => a == b,
            };
            if !agree {
                failures.push(format!(
                    "line {}: {}\n  native: {ours:?}\n  engine: {script:?}",
                    entry.line, entry.expression
                ));
            }
        }
        let ours = noderun_outcome(template, &context, item, entry.item);
        let ok = if entry.difference {
            matches!(ours, Outcome::Error(_)) && !matches!(n8n, Outcome::Error(_))
        } else {
            match (&ours, n8n) {
                (Outcome::Error(_), Outcome::Error(_)) => true,
                (a, b) => a == b,
            }
        };
        if ok {
            if entry.difference {
                differences += 1;
            } else {
                same += 1;
            }
        } else {
            failures.push(format!(
                "line {}{}: {}\n  n8n:     {n8n:?}\n  noderun: {ours:?}",
                entry.line,
                if entry.difference {
                    " [difference]"
                } else {
                    ""
                },
                entry.expression
            ));
        }
    }
    eprintln!(
        "expression corpus: {} entries, {same} identical to n8n, {differences} the documented difference, {} disagreeing; {native} evaluated natively",
        entries.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
