//! The definitions format: n8n's `INodeTypeDescription` and `ICredentialType`, typed.
//!
//! Only the parts of n8n's format that noderun interprets are modelled; every struct denies
//! unknown fields so that a typo in a definition file is an error, not a silently ignored key.
//! The doc comments here become the `description`s of the published format schema
//! (`node-definitions/format.schema.json`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A node as n8n describes it (`INodeTypeDescription`), with its properties assembled from the
/// node file and one file per resource.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeDescription {
    /// Name shown to users, e.g. "Directus".
    pub display_name: String,
    /// Machine name of the node, unique in the registry, e.g. "directus".
    pub name: String,
    /// Icon reference (`file:directus.svg` or `fa:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// n8n node groups, e.g. `["transform"]`.
    pub group: Vec<String>,
    /// Node type version(s).
    pub version: Value,
    /// Subtitle template shown under the node in the editor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// One-line description of the node.
    pub description: String,
    /// Defaults of a new node instance (its name).
    pub defaults: Map<String, Value>,
    /// Input connection types, e.g. `["main"]`.
    pub inputs: Vec<String>,
    /// Output connection types, e.g. `["main"]`.
    pub outputs: Vec<String>,
    /// Credential types the node uses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<CredentialRef>,
    /// Request options every operation starts from (base URL, headers); evaluated once per run,
    /// so their expressions may use `$credentials` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_defaults: Option<RequestOptions>,
    /// The node's parameters, in display order.
    pub properties: Vec<Property>,
}

/// A reference from a node to a credential type.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialRef {
    /// Name of the credential type, e.g. "directusApi".
    pub name: String,
    /// Whether the node cannot run without it.
    #[serde(default)]
    pub required: bool,
}

/// One resource's share of a node's properties: the content of a `<node>/<resource>.json` file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceFile {
    /// The value of the node's `resource` option this file describes.
    pub resource: String,
    /// The operation selector and the fields of this resource's operations.
    pub properties: Vec<Property>,
    /// noderun extension, not part of the exported n8n description: former values of this
    /// resource's `operation` (e.g. `"pingServer"`) mapped to the operation they now name
    /// (`"ping"`), so that workflows saved with an older node version keep running.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub operation_aliases: Map<String, Value>,
}

/// A credential type (`ICredentialType`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialType {
    /// Machine name, e.g. "directusApi".
    pub name: String,
    /// Name shown to users.
    pub display_name: String,
    /// Link to the service's authentication documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// The credential's fields.
    pub properties: Vec<Property>,
    /// How the credential is applied to every request.
    pub authenticate: Authenticate,
    /// A request that checks the credential works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<CredentialTest>,
    /// noderun extension, left out of the export: other names of fields (another node's
    /// credential of the same type name) mapped to the field they stand for; an alias is used
    /// when the field itself is absent or empty.
    #[serde(default, skip_serializing)]
    pub field_aliases: Map<String, Value>,
}

/// Generic authentication: headers and query parameters built from `$credentials` expressions.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Authenticate {
    /// Always "generic".
    #[serde(rename = "type")]
    pub kind: AuthenticateKind,
    /// What the credential adds to each request; a value that evaluates to `undefined` is not sent.
    pub properties: AuthenticateProperties,
}

/// The kind of credential authentication.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum AuthenticateKind {
    /// Headers and query parameters from expressions.
    Generic,
}

/// Headers and query parameters a credential adds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthenticateProperties {
    /// Header name to value (usually an expression over `$credentials`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<String, Value>,
    /// Query parameter name to value.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub qs: Map<String, Value>,
}

/// A request that tests a credential.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialTest {
    /// The request to send.
    pub request: RequestOptions,
}

/// A node parameter (`INodeProperties`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Property {
    /// Label shown to users.
    pub display_name: String,
    /// Parameter name: the key in the node's parameters. Published names never change.
    pub name: String,
    /// Value type.
    #[serde(rename = "type")]
    pub kind: PropertyType,
    /// Value used when the parameter is not set; must match `type`.
    pub default: Value,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Hint shown under the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Placeholder shown in an empty field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// A value must be given (for strings: a non-empty one).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The value may not be an expression (resource and operation selectors).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_data_expression: bool,
    /// When the parameter is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_options: Option<DisplayOptions>,
    /// Choices (`options`, `multiOptions`), sub-properties (`collection`) or groups
    /// (`fixedCollection`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<PropertyOption>,
    /// Type-specific settings (`password`, `multipleValues`, `rows`, `minValue`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_options: Option<TypeOptions>,
    /// How the parameter's value goes into the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
    /// noderun extension for `json` properties, left out of the export: the JSON value the
    /// parameter holds (given as such or as text holding it); default `object`.
    #[serde(default, skip_serializing)]
    pub json_shape: Option<JsonShape>,
    /// noderun extension for `json` object properties, left out of the export: the only keys
    /// the object may have (a closed set such as Directus's query parameters); any other key
    /// is refused by name instead of being dropped.
    #[serde(default, skip_serializing)]
    pub json_keys: Option<Vec<String>>,
}

/// What a `json` parameter holds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub enum JsonShape {
    /// A JSON object.
    #[default]
    Object,
    /// A JSON array (a list of keys, of objects to create).
    Array,
    /// A JSON object or a JSON array.
    ObjectOrArray,
}

/// Parameter value types.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub enum PropertyType {
    /// Text.
    String,
    /// A number.
    Number,
    /// true or false.
    Boolean,
    /// One value out of `options`.
    Options,
    /// Several values out of `options`.
    MultiOptions,
    /// A JSON value, given as an object or as text holding JSON.
    Json,
    /// An object holding only the optional sub-parameters the user added.
    Collection,
    /// Named groups of sub-parameters.
    FixedCollection,
    /// Static text shown in the form; holds no value.
    Notice,
}

/// `typeOptions` of a property.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TypeOptions {
    /// A secret: shown as a password field, redacted from logs and errors, `writeOnly` in schemas.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub password: bool,
    /// Each group of a fixedCollection (or a collection) is a list.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multiple_values: bool,
    /// Height of a text field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u32>,
    /// Smallest allowed number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<f64>,
    /// Largest allowed number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<f64>,
}

/// An entry of a property's `options`: what it is depends on the property's type.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PropertyOption {
    /// A choice of an `options` or `multiOptions` property.
    Choice(Box<Choice>),
    /// A sub-property of a `collection`.
    Property(Box<Property>),
    /// A group of a `fixedCollection`.
    Group(Group),
}

/// A choice of an `options` property (`INodePropertyOptions`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Choice {
    /// Label shown to users.
    pub name: String,
    /// The value stored in the parameters.
    pub value: Value,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Action label of an operation ("Log in a user").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// What choosing it does to the request (for operations: method and URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
}

/// A group of a `fixedCollection` (`INodePropertyCollection`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Group {
    /// Label shown to users.
    pub display_name: String,
    /// Key of the group in the parameter's value.
    pub name: String,
    /// The group's fields.
    pub values: Vec<Property>,
}

/// `displayOptions`: when a property is shown.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisplayOptions {
    /// Shown only when every named parameter has one of the listed values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show: Option<Map<String, Value>>,
    /// Hidden when any named parameter has one of the listed values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide: Option<Map<String, Value>>,
}

/// Declarative routing (`INodePropertyRouting`): how a value becomes part of the request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Routing {
    /// Request options merged into the request (method, url, body, qs, headers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestOptions>,
    /// Puts the value into the body or the query string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<Send>,
    /// What to do with the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Output>,
}

/// HTTP methods.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PATCH
    Patch,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// HEAD
    Head,
}

impl Method {
    /// The method's name as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
}

/// Request options (`IHttpRequestOptions` as used in routing); any string may be an expression.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestOptions {
    /// Base URL the `url` is relative to (usually from the credential).
    #[serde(default, rename = "baseURL", skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// HTTP method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    /// URL path, relative to the base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Query parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qs: Option<Map<String, Value>>,
    /// Request body (merged into the body built so far).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Request headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Map<String, Value>>,
}

/// Where a parameter's value is sent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum SendType {
    /// Into the JSON body.
    Body,
    /// Into the query string.
    Query,
}

/// `routing.send`: puts a value into the request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Send {
    /// Body or query string.
    #[serde(rename = "type")]
    pub kind: SendType,
    /// Key to set (dot notation for nested keys unless `propertyInDotNotation` is false).
    pub property: String,
    /// Value to send instead of the parameter's own (an expression over `$value`, `$parameter`);
    /// a value that evaluates to `undefined` is not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Whether `property` is a dotted path (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_in_dot_notation: Option<bool>,
}

/// `routing.output`: what happens to the response.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Output {
    /// Actions applied in order to the response items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_receive: Vec<PostReceive>,
    /// noderun extension (n8n ignores it): cookies the response sets, copied into the output
    /// json under the given keys, so that session and cookie modes work headless.
    /// Maps cookie name to output key; empty cookie values (cleared cookies) are not copied.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub cookies: Map<String, Value>,
}

/// A post-receive action (`PostReceiveAction`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum PostReceive {
    /// Replace each item by one of its properties; an array becomes one item per element.
    RootProperty {
        /// When the action applies: a boolean or an expression (default true).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enabled: Option<Value>,
        /// The property to take.
        properties: RootPropertyProperties,
    },
    /// Keep the items for which `pass` (an expression over `$responseItem`) is true.
    Filter {
        /// When the action applies: a boolean or an expression (default true).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enabled: Option<Value>,
        /// The condition.
        properties: FilterProperties,
    },
    /// Keep at most `maxResults` items.
    Limit {
        /// When the action applies: a boolean or an expression (default true).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enabled: Option<Value>,
        /// The limit (a number or an expression).
        properties: LimitProperties,
    },
}

/// Properties of the `rootProperty` action.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RootPropertyProperties {
    /// Dotted path of the property.
    pub property: String,
}

/// Properties of the `filter` action.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterProperties {
    /// Whether an item is kept: a boolean or an expression over `$responseItem`.
    pub pass: Value,
}

/// Properties of the `limit` action.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitProperties {
    /// Largest number of items kept.
    pub max_results: Value,
}

impl Property {
    /// The JSON value a `json` property holds.
    pub fn json_shape(&self) -> JsonShape {
        self.json_shape.unwrap_or_default()
    }

    /// Whether the value is a secret (`typeOptions.password`).
    pub fn is_secret(&self) -> bool {
        self.type_options.as_ref().is_some_and(|t| t.password)
    }

    /// The choices of an `options`/`multiOptions` property.
    pub fn choices(&self) -> impl Iterator<Item = &Choice> {
        self.options.iter().filter_map(|o| match o {
            PropertyOption::Choice(c) => Some(c.as_ref()),
            _ => None,
        })
    }

    /// The sub-properties of a `collection`.
    pub fn sub_properties(&self) -> impl Iterator<Item = &Property> {
        self.options.iter().filter_map(|o| match o {
            PropertyOption::Property(p) => Some(p.as_ref()),
            _ => None,
        })
    }

    /// The groups of a `fixedCollection`.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.options.iter().filter_map(|o| match o {
            PropertyOption::Group(g) => Some(g),
            _ => None,
        })
    }
}
