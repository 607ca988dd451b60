//! `noderun run --workflow FILE --node NAME` where the real Directus's answers matter: node
//! settings on what it answers (the dry runs: standalone/workflow_files.rs).

use crate::support;

use serde_json::{Value, json};
use support::directus::{Directus, scratch};
use support::workflows::{items, node, workflow, write};
use support::{noderun_with_env, parse_lines};

#[test]
fn always_output_data_and_on_error_on_a_real_directus() {
    let directus = Directus::connect();
    let creds = directus.admin_credentials_file("workflow_files_real", "admin");
    let dir = scratch("workflow_files_real");
    let list = node(
        "Folders",
        "n8n-nodes-noderun.directus",
        json!({"resource": "folders", "operation": "list", "returnAll": true,
               "additionalFields": {"filter": "={{ JSON.stringify({ name: { _eq: 'none-' + $json.title } }) }}"}}),
    );
    let mut always = list.clone();
    always["alwaysOutputData"] = json!(true);
    let input = support::ndjson(&items().1);
    let run = |n: Value| {
        let wf = write(&dir, "wf.json", &workflow(vec![n]));
        noderun_with_env(
            &[
                "run",
                "--workflow",
                &wf,
                "--credentials",
                creds.to_str().unwrap(),
                "-q",
            ],
            &[],
            &input,
        )
    };
    // No folder matches: no output, and with alwaysOutputData n8n's one empty item, paired with
    // every input item.
    let out = run(list);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
    let out = run(always);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        parse_lines(&out.stdout),
        [json!({"json": {}, "pairedItem": [{"item": 0}, {"item": 1}]})]
    );
    // onError from the workflow: a folder that does not exist becomes an error item.
    let mut missing = node(
        "Folder",
        "n8n-nodes-noderun.directus",
        json!({"resource": "folders", "operation": "get", "id": "={{ '00000000-0000-4000-8000-00000000000' + $itemIndex }}"}),
    );
    missing["onError"] = json!("continueRegularOutput");
    let out = run(missing);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let forbidden = "You don't have permission to access this. (HTTP 403, FORBIDDEN)";
    assert_eq!(
        parse_lines(&out.stdout),
        [
            support::error_item(0, forbidden, 403, "FORBIDDEN"),
            support::error_item(1, forbidden, 403, "FORBIDDEN")
        ]
    );
}
