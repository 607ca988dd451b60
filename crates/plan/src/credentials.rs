//! Credentials: a credential type's field values, secrets redacted wherever they could show.

use noderun_definitions::model::CredentialType;
use serde_json::{Map, Value};

use crate::error::SetupError;
use crate::redact::Redactor;

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
        for ignored in &credential_type.ignored_fields {
            fields.remove(ignored);
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

    /// A redactor knowing the secret fields' values.
    pub fn redactor(&self) -> Redactor {
        let mut r = Redactor::default();
        self.secrets().for_each(|s| r.add(s));
        r
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
