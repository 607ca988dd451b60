//! `noderun run --workflow FILE --node NAME`: n8n's exported workflows and clipboard copies, the
//! node settings n8n honours (`disabled`, `executeOnce`, `alwaysOutputData`, errors), what
//! expressions see (`$('Node')` through `--node-output` and paired items, `$input.all()`,
//! `$vars`, `$env`, the time zone), in dry runs (the real Directus's answers:
//! directus/workflow_files.rs).

use crate::support;

use serde_json::{Value, json};
use support::directus::scratch;
use support::workflows::{items, node, workflow, write};
use support::{noderun_with_env, parse_lines};

const URL: (&str, &str) = ("DIRECTUS_URL", "http://127.0.0.1:9");

fn get(name: &str, id: &str) -> Value {
    node(
        name,
        "n8n-nodes-noderun.directus",
        json!({"resource": "items", "operation": "get", "collection": "articles", "id": id}),
    )
}

fn write_items(dir: &std::path::Path, name: &str, items: &[Value]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, support::ndjson(items)).unwrap();
    path.to_str().unwrap().to_string()
}

fn urls(stdout: &str) -> Vec<Value> {
    parse_lines(stdout)
        .iter()
        .map(|i| json!([i["json"]["url"], i["pairedItem"]]))
        .collect()
}

#[test]
fn the_node_is_named_or_the_only_one_noderun_runs() {
    let dir = scratch("workflow_files_pick");
    let (_, edit) = items();
    let one = write(
        &dir,
        "one.json",
        &workflow(vec![get("Get", "={{ $json.title }}")]),
    );
    let two = write(
        &dir,
        "two.json",
        &workflow(vec![
            get("Get", "={{ $json.title }}"),
            node(
                "Community",
                "n8n-nodes-directus.directus",
                json!({"resource": "items", "operation": "get", "collection": "x", "id": "={{ $json.id }}"}),
            ),
        ]),
    );
    let input = support::ndjson(&edit);
    let out = noderun_with_env(
        &["run", "--workflow", &one, "--dry-run", "-q"],
        &[URL],
        &input,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        urls(&out.stdout),
        [
            json!(["http://127.0.0.1:9/items/articles/A", {"item": 0}]),
            json!(["http://127.0.0.1:9/items/articles/B", {"item": 1}])
        ]
    );
    // `n8n export:workflow` writes an array: one workflow in it runs, several are refused.
    let exported = write(
        &dir,
        "exported.json",
        &json!([workflow(vec![get("Get", "={{ $json.title }}")])]),
    );
    let out = noderun_with_env(
        &["run", "--workflow", &exported, "--dry-run", "-q"],
        &[URL],
        &input,
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(
        urls(&out.stdout),
        [
            json!(["http://127.0.0.1:9/items/articles/A", {"item": 0}]),
            json!(["http://127.0.0.1:9/items/articles/B", {"item": 1}])
        ]
    );
    let mut named = workflow(vec![get("Get", "={{ $json.title }}")]);
    named["name"] = json!("Other");
    let both = write(
        &dir,
        "both.json",
        &json!([workflow(vec![get("Get", "={{ $json.title }}")]), named]),
    );
    let out = noderun_with_env(&["run", "--workflow", &both, "--dry-run"], &[URL], &input);
    assert_eq!(
        (out.code, out.stderr),
        (
            2,
            format!(
                "noderun: error: --workflow {both} holds 2 workflows ('Test', 'Other'); noderun runs a node of one: export that workflow alone\n"
            )
        )
    );
    let out = noderun_with_env(&["run", "--workflow", &two, "--dry-run"], &[URL], &input);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "noderun: error: --workflow {two} has 2 nodes noderun can run: 'Get' (n8n-nodes-noderun.directus), 'Community' (n8n-nodes-directus.directus); choose one with --node NAME\n"
        )
    );
    let out = noderun_with_env(
        &[
            "run",
            "--workflow",
            &two,
            "--node",
            "Community",
            "--dry-run",
            "-q",
        ],
        &[URL],
        "{\"id\": 5}\n",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        urls(&out.stdout),
        [json!(["http://127.0.0.1:9/items/x/5", {"item": 0}])]
    );
    let out = noderun_with_env(
        &["run", "--workflow", &two, "--node", "Edit Fields"],
        &[URL],
        &input,
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "noderun: error: --node 'Edit Fields' is 'Edit Fields' (n8n-nodes-base.set), which noderun does not run; the nodes it can run: 'Get' (n8n-nodes-noderun.directus), 'Community' (n8n-nodes-directus.directus)\n"
        )
    );
    let out = noderun_with_env(
        &["run", "--workflow", &two, "--node", "Nope"],
        &[URL],
        &input,
    );
    assert_eq!(
        (out.code, out.stderr),
        (
            2,
            format!(
                "noderun: error: --workflow {two} has no node named 'Nope'; its nodes: 'Start' (n8n-nodes-base.manualTrigger), 'Code' (n8n-nodes-base.code), 'Edit Fields' (n8n-nodes-base.set), 'Get' (n8n-nodes-noderun.directus), 'Community' (n8n-nodes-directus.directus)\n"
            )
        )
    );
    // n8n's clipboard copy: nodes without the rest of the workflow.
    let clip = write(
        &dir,
        "clip.json",
        &json!({"nodes": [get("Get", "={{ $json.title.toLowerCase() }}")]}),
    );
    let out = noderun_with_env(
        &["run", "--workflow", &clip, "--dry-run", "-q"],
        &[URL],
        &input,
    );
    assert_eq!(
        urls(&out.stdout),
        [
            json!(["http://127.0.0.1:9/items/articles/a", {"item": 0}]),
            json!(["http://127.0.0.1:9/items/articles/b", {"item": 1}])
        ]
    );
}

#[test]
fn expressions_read_other_nodes_the_input_and_the_run() {
    let dir = scratch("workflow_files_expressions");
    let (code, edit) = items();
    let wf = write(
        &dir,
        "wf.json",
        &workflow(vec![get(
            "Get",
            "={{ $('Code').item.json.id }}-{{ $input.all().length }}-{{ $('Edit Fields').item.json.title.toLowerCase() }}-{{ $vars.suffix }}-{{ DateTime.fromISO('2024-03-05T10:00:00Z').toFormat('HH') }}-{{ $workflow.name }}",
        )]),
    );
    let code_file = write_items(&dir, "code.ndjson", &code);
    let input = support::ndjson(&edit);
    let args = [
        "run",
        "--workflow",
        &wf,
        "--node",
        "Get",
        "--node-output",
        &format!("Code={code_file}"),
        "--vars",
        "{\"suffix\": \"v\"}",
        "--dry-run",
        "-q",
    ];
    let out = noderun_with_env(&args, &[URL], &input);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Berlin, the workflow's time zone: 10:00 UTC is 11 o'clock.
    assert_eq!(
        urls(&out.stdout),
        [
            json!(["http://127.0.0.1:9/items/articles/11-2-a-v-11-Test", {"item": 0}]),
            json!(["http://127.0.0.1:9/items/articles/12-2-b-v-11-Test", {"item": 1}])
        ]
    );
    // --timezone wins over the workflow's setting.
    let mut zoned = args.to_vec();
    zoned.extend(["--timezone", "Asia/Tokyo"]);
    let out = noderun_with_env(&zoned, &[URL], &input);
    assert_eq!(
        urls(&out.stdout)[0],
        json!(["http://127.0.0.1:9/items/articles/11-2-a-v-19-Test", {"item": 0}])
    );
    // Without the Code node's items the expression says which flag gives them.
    let out = noderun_with_env(
        &["run", "--workflow", &wf, "--node", "Get", "--dry-run", "-q"],
        &[URL],
        &input,
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "noderun: error: item 0: Parameter 'id': the expression ={{ $('Code').item.json.id }}-{{ $input.all().length }}-{{ $('Edit Fields').item.json.title.toLowerCase() }}-{{ $vars.suffix }}-{{ DateTime.fromISO('2024-03-05T10:00:00Z').toFormat('HH') }}-{{ $workflow.name }} failed: noderun needs the items node 'Code' output: give them with --node-output 'Code=FILE' (NDJSON or a JSON array, as n8n or noderun wrote them)\n"
    );
    let out = noderun_with_env(
        &[
            "run",
            "--workflow",
            &wf,
            "--node",
            "Get",
            "--node-output",
            "Nope=x",
            "--dry-run",
        ],
        &[URL],
        &input,
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "noderun: error: --node-output 'Nope': the workflow has no node of that name; its nodes: Code, Edit Fields, Get, Start\n"
        )
    );
}

#[test]
fn env_is_denied_unless_allowed() {
    let dir = scratch("workflow_files_env");
    let wf = write(
        &dir,
        "wf.json",
        &workflow(vec![get("Get", "={{ $env.NODERUN_TEST_ITEM }}")]),
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--workflow", wf.as_str(), "--dry-run", "-q"];
        args.extend(extra);
        noderun_with_env(&args, &[URL, ("NODERUN_TEST_ITEM", "42")], "{}\n")
    };
    let out = run(&[]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "noderun: error: item 0: Parameter 'id': the expression ={{ $env.NODERUN_TEST_ITEM }} failed: access to env vars denied (noderun gives $env only with --allow-env)\n"
    );
    let out = run(&["--allow-env"]);
    assert_eq!(
        urls(&out.stdout),
        [json!(["http://127.0.0.1:9/items/articles/42", {"item": 0}])]
    );
}

#[test]
fn node_settings_are_honoured_or_refused_by_name() {
    let dir = scratch("workflow_files_settings");
    let (_, edit) = items();
    let input = support::ndjson(&edit);
    let with = |settings: Value| {
        let mut n = get("Get", "={{ $json.title }}");
        for (k, v) in settings.as_object().unwrap() {
            n[k] = v.clone();
        }
        write(&dir, "wf.json", &workflow(vec![n]))
    };
    // disabled: n8n passes the items through untouched (paired with their position); nothing is
    // sent, no credentials are needed.
    let wf = with(json!({"disabled": true}));
    let out = noderun_with_env(&["run", "--workflow", &wf], &[], &input);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(parse_lines(&out.stdout), edit);
    assert_eq!(
        out.stderr,
        "noderun: 2 items: passed through untouched (the node is disabled)\n"
    );
    // executeOnce: the first item only.
    let wf = with(json!({"executeOnce": true}));
    let out = noderun_with_env(&["run", "--workflow", &wf, "--dry-run"], &[URL], &input);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        urls(&out.stdout),
        [json!(["http://127.0.0.1:9/items/articles/A", {"item": 0}])]
    );
    assert_eq!(
        out.stderr.lines().next(),
        Some(
            "noderun: the node has executeOnce: only the first input item runs, the others are not read"
        )
    );
    // A setting noderun does not know is refused, never ignored.
    let wf = with(json!({"executeTwice": true}));
    let out = noderun_with_env(&["run", "--workflow", &wf, "--dry-run"], &[URL], &input);
    assert_eq!(
        (out.code, out.stderr),
        (
            2,
            format!(
                "noderun: error: --workflow {wf}: node 'Get': the setting 'executeTwice' is not supported by noderun (it honours disabled, executeOnce, alwaysOutputData, retryOnFail, maxTries, waitBetweenTries, onError, continueOnFail)\n"
            )
        )
    );
    let wf = with(json!({"retryOnFail": "yes"}));
    let out = noderun_with_env(&["run", "--workflow", &wf, "--dry-run"], &[URL], &input);
    assert_eq!(
        (out.code, out.stderr),
        (
            2,
            format!(
                "noderun: error: --workflow {wf}: node 'Get': retryOnFail must be true or false; got \"yes\"\n"
            )
        )
    );
}
