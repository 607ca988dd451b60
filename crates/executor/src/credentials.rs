//! Credentials: a credential type's field values, secrets redacted wherever they could show.

use noderun_definitions::model::CredentialType;
use serde_json::{Map, Value};

use crate::error::SetupError;

/// The values of a credential (for Directus: `url` and `accessToken`).
///
/// `Debug` prints secret fields (those with `typeOptions.password`) as `<redacted>`; the values
/// are reachable only through [`Credentials::fields`], which the request builder uses.
#[derive(Clone)]
pub struct Credentials {
    type_name: String,
    fields: Map<String, Value>,
    secret_fields: Vec<String>,
}

impl Credentials {
    /// Checks `fields` against the credential type: required fields set, no unknown fields,
    /// strings where strings are expected. Missing optional fields get their defaults.
    ///
    /// # Errors
    /// The first problem, naming the field (never its value).
    pub fn new(
        credential_type: &CredentialType,
        mut fields: Map<String, Value>,
    ) -> Result<Credentials, SetupError> {
        for (alias, field) in &credential_type.field_aliases {
            let Some(field) = field.as_str() else {
                continue;
            };
            if let Some(value) = fields.remove(alias) {
                let unset = match fields.get(field) {
                    None | Some(Value::Null) => true,
                    Some(Value::String(s)) => s.is_empty(),
                    Some(_) => false,
                };
                if unset {
                    fields.insert(field.to_string(), value);
                }
            }
        }
        let known: Vec<&str> = credential_type
            .properties
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        if let Some(unknown) = fields.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(SetupError(format!(
                "credential '{}' has no field '{unknown}'; its fields are: {}",
                credential_type.name,
                known.join(", ")
            )));
        }
        for p in &credential_type.properties {
            match fields.get(&p.name) {
                None | Some(Value::Null) => {
                    if p.required {
                        return Err(SetupError(format!(
                            "credential '{}' is missing its required field '{}'",
                            credential_type.name, p.name
                        )));
                    }
                    fields.insert(p.name.clone(), p.default.clone());
                }
                Some(Value::String(s)) if p.required && s.trim().is_empty() => {
                    return Err(SetupError(format!(
                        "credential '{}' has an empty '{}'",
                        credential_type.name, p.name
                    )));
                }
                Some(Value::String(_)) => {}
                Some(_) if p.default.is_string() => {
                    return Err(SetupError(format!(
                        "credential field '{}' must be a string",
                        p.name
                    )));
                }
                Some(_) => {}
            }
        }
        let secret_fields = credential_type
            .properties
            .iter()
            .filter(|p| p.is_secret())
            .map(|p| p.name.clone())
            .collect();
        Ok(Credentials {
            type_name: credential_type.name.clone(),
            fields,
            secret_fields,
        })
    }

    /// The field values (used to evaluate `$credentials` expressions).
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// The values of the secret fields, for redaction.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.secret_fields
            .iter()
            .filter_map(|f| self.fields.get(f))
            .filter_map(Value::as_str)
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Credentials");
        d.field("type", &self.type_name);
        for (k, v) in &self.fields {
            if self.secret_fields.contains(k) {
                d.field(k, &format_args!("<redacted>"));
            } else {
                d.field(k, v);
            }
        }
        d.finish()
    }
}

/// Replaces every known secret in a text by `***`.
#[derive(Default, Clone)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub(crate) fn add(&mut self, secret: &str) {
        // Shorter strings cannot be told apart from ordinary text.
        if secret.len() >= 3 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
            // Longest first, so a secret containing another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}
