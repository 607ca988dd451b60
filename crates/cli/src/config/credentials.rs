//! The credential's fields: a JSON file (`--credentials`), or the environment
//! (`<NODE>_URL`, `<NODE>_TOKEN`).

use noderun_definitions::Registry;
use serde_json::{Map, Value};

use crate::args::CredentialArgs;

/// The credential's fields for `node`.
pub(crate) fn credentials(
    args: &CredentialArgs,
    registry: &Registry,
    node: &str,
) -> Result<Map<String, Value>, String> {
    if let Some(path) = &args.credentials {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the credentials file {}: {e}", path.display()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            format!(
                "the credentials file {} is not valid JSON (line {}, column {})",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        let Value::Object(map) = value else {
            return Err(format!(
                "the credentials file {} must hold a JSON object of the credential's fields",
                path.display()
            ));
        };
        return Ok(map);
    }
    let n = registry.node_type(node).map_err(|e| e.to_string())?.node;
    let credential_type = n
        .description
        .credentials
        .first()
        .and_then(|c| registry.credential(&c.name));
    let prefix = n.description.name.to_uppercase();
    let mut map = Map::new();
    if let Ok(url) = std::env::var(format!("{prefix}_URL")) {
        map.insert("url".into(), Value::String(url));
    }
    if let (Ok(token), Some(secret)) = (
        std::env::var(format!("{prefix}_TOKEN")),
        credential_type.and_then(|c| c.properties.iter().find(|p| p.is_secret())),
    ) {
        map.insert(secret.name.clone(), Value::String(token));
    }
    if map.is_empty() {
        return Err(format!(
            "no credentials: give --credentials FILE or set {prefix}_URL (and {prefix}_TOKEN)"
        ));
    }
    Ok(map)
}
