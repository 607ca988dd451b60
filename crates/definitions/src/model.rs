//! The definitions format: n8n's `INodeTypeDescription` and `ICredentialType`, typed.
//!
//! Only the parts of n8n's format that noderun interprets are modelled; every struct denies
//! unknown fields so that a typo in a definition file is an error, not a silently ignored key.
//! The doc comments here become the `description`s of the published format schema
//! (`node-definitions/format.schema.json`).

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::condition::Condition;

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
    /// Whether the node is a polling trigger (n8n's `polling: true`): it has no inputs, no
    /// resources or operations, only the parameters of what it watches.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub polling: bool,
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
    /// n8n's `usableAsTool`: n8n also offers the node as a tool of its AI Agent (a copy of
    /// the description, `<name>Tool`, whose parameters the agent may fill with `$fromAI`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_as_tool: Option<bool>,
    /// noderun extension, left out of the export: how `noderun mcp` serves the node's
    /// operations as tools to AI agents.
    #[serde(default, skip_serializing)]
    pub agent_tools: Option<AgentTools>,
    /// noderun extension, left out of the export: for a node without operations (a polling
    /// trigger), the `noderun` command line its parameters correspond to (the forms page shows
    /// it). Every flag's parameter must be one of the node's.
    #[serde(default, skip_serializing)]
    pub command_line: Option<CommandLine>,
}

/// The `noderun` command line a node's parameters become (noderun extension of the node file).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommandLine {
    /// The command without flags, e.g. `noderun trigger directus`.
    pub command: String,
    /// The flags, in the order they are written; a parameter without a value (not set, or an
    /// empty text) writes none.
    pub flags: Vec<CommandFlag>,
}

/// One flag of a [`CommandLine`]: the parameter whose value it carries.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommandFlag {
    /// The parameter: a top-level name, or `<collection>.<field>` for a field of a collection.
    pub parameter: String,
    /// The flag, e.g. `--collection`.
    pub flag: String,
    /// How a list goes on the command line: `repeat` (one flag per entry; a text is split at
    /// commas) or `join` (one flag, the entries joined by commas). A JSON value is written as
    /// JSON text, anything else as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<ListFlag>,
}

/// How a list parameter is written as flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ListFlag {
    /// One flag per entry (`--collection a --collection b`); a text is split at commas.
    Repeat,
    /// One flag, the entries joined by commas (`--events create,update`).
    Join,
}

/// How a node's operations are served as MCP tools (noderun extension of the node file).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentTools {
    /// What an agent needs to know about the service to use the tools well (how its data is
    /// organised, how to discover it, the syntax of its queries); the server's `instructions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// The tools served when the user selects none: per resource value, its operation values.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub default_tools: std::collections::BTreeMap<String, Vec<String>>,
    /// Operations (`<resource>.<operation>`) that destroy data without a DELETE request (they
    /// overwrite or drop it), so their tools are marked destructive like the deletes are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destructive: Vec<String>,
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
    #[serde(default, skip_serializing)]
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
    pub field_aliases: IndexMap<String, String>,
    /// noderun extension, left out of the export: fields another package's credential of the
    /// same type name stores that carry nothing here (its notices, its options without effect);
    /// accepted and dropped.
    #[serde(default, skip_serializing)]
    pub ignored_fields: Vec<String>,
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
    /// Shown only when every named parameter meets one of its conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show: Option<Rules>,
    /// Hidden when any named parameter meets one of its conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide: Option<Rules>,
}

/// Parameter name (`/name` at the root, `@version`) to its conditions, in the file's order.
pub type Rules = IndexMap<String, Vec<Condition>>;

/// Declarative routing (`INodePropertyRouting`): how a value becomes part of the request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Routing {
    /// Request options merged into the request (method, url, body, qs, headers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestOptions>,
    /// Puts the value into the body or the query string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<RoutingSend>,
    /// What to do with the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<RoutingOutput>,
    /// How the operation pages (n8n's `routing.operations`), used when a shown property's
    /// `send.paginate` is true. The last shown property that has it wins (n8n's `Object.assign`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<RequestOperations>,
    /// noderun extension (n8n ignores it): a second request, for operations that make two calls
    /// (Assets → Get with file data, Items → Create or Update). The first alternative whose
    /// `enabled` holds is sent after this routing's request, with `$response` (`{statusCode,
    /// body}`) the first response; its output items replace the first request's, binary
    /// properties of the first response are kept. When none is enabled, the first request's
    /// output stands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub then: Vec<FollowUp>,
}

/// `routing.operations` (`IN8nRequestOperations`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestOperations {
    /// How to fetch the following pages when the request pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
}

/// A declarative pagination, interpreted as n8n's `RoutingNode` does. Every page's response goes
/// through the operation's `postReceive` actions; its items are output as the page arrives.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Pagination {
    /// `limitParameter` = `pageSize` and `offsetParameter` = 0, 1·`pageSize`, 2·`pageSize`...
    /// (any offset the request had is replaced), until a page gives fewer than `pageSize` items.
    Offset {
        /// The parameters.
        properties: OffsetPagination,
    },
    /// Each page's request is the operation's request with `request` shallow-merged over it
    /// (expressions may use `$request`, the operation's request, and `$response`, the previous
    /// page's `{body, headers, statusCode}`; `{}` before the first page); pages continue while
    /// `continue` is true.
    Generic {
        /// The parameters.
        properties: Box<GenericPagination>,
    },
}

/// Properties of the `offset` pagination (`IN8nRequestOperationPaginationOffset`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OffsetPagination {
    /// Name of the page-size parameter, e.g. `limit`.
    pub limit_parameter: String,
    /// Name of the offset parameter, e.g. `offset`.
    pub offset_parameter: String,
    /// Entries per page; a shorter page is the last one.
    #[schemars(range(min = 1))]
    pub page_size: u64,
    /// Property of the (post-processed) first response item that holds the page's entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_property: Option<String>,
    /// Whether the two parameters go into the query string or the body.
    #[serde(rename = "type")]
    pub kind: SendType,
    /// noderun extension, left out of n8n's export (where the list pages by offset): keyset
    /// paging. When the request is sorted by `key`, the pages after the first ask for the
    /// entries whose key is greater than the last one received instead of skipping an offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyset: Option<Box<KeysetPagination>>,
}

/// Keyset paging of an `offset` pagination (noderun). The first page is the offset
/// pagination's (offset 0); when the list is sorted by its key (the request's `sortParameter`
/// is exactly `key`, ascending; or, with `lookup`, the request has no sort and the lookup found
/// the key the server orders by, which is then sent as the sort) and the page's entries carry
/// the key, each next page keeps offset 0 and sets the request's `filterParameter` (a JSON
/// filter) to `after`, or to `join` when the request has a filter of its own. Otherwise the
/// list pages by offset. Exactly one of `key` and `lookup` is given.
///
/// `after` and `join` are templates: a string that is exactly `{key}`, `{last}`, `{filter}` or
/// `{after}` stands for the key's name, the last entry's key, the request's own filter and the
/// filled `after`; an object key `{key}` for the key's name. For Directus:
/// `"after": {"{key}": {"_gt": "{last}"}}`, `"join": {"_and": ["{filter}", "{after}"]}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeysetPagination {
    /// The list's primary key field, e.g. `id`: unique, and the order of the list when the
    /// request sorts by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub key: Option<String>,
    /// How to learn the key from the server when the definition cannot name it (the primary key
    /// of a user's collection), for a request that sends no sort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<Box<KeyLookup>>,
    /// The query parameter that says the list's order, e.g. `sort`.
    pub sort_parameter: String,
    /// The query parameter holding the list's filter as JSON text, e.g. `filter`.
    pub filter_parameter: String,
    /// The filter for the entries after the last one: a template over `{key}` and `{last}`.
    pub after: Value,
    /// The filter for the entries after the last one that also match the request's own filter:
    /// a template over `{filter}` and `{after}`.
    pub join: Value,
    /// The JSON types of key values the server compares in `after` (default both): with
    /// `["number"]`, a list whose keys are text (Directus has no `_gt` for UUIDs) pages by
    /// offset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_types: Vec<KeyType>,
}

/// How a keyset-paged list learns its key ([`KeysetPagination::lookup`]): requests sent once
/// per run (per distinct requests: the same collection is looked up once) before the first
/// page, and an expression over their responses. When a request fails, or the expression gives
/// no key, the list pages by offset, as without keyset paging.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyLookup {
    /// Whether to look the key up for this request: a boolean or an expression over
    /// `$parameter`, `$json` and `$request` (the first page's request options; default true).
    /// When it is false the list pages by offset and nothing is looked up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Value>,
    /// The requests, sent in order, each built from `requestDefaults` as a follow-up request is
    /// (expressions over `$parameter` and `$json`).
    #[schemars(length(min = 1))]
    pub requests: Vec<RequestOptions>,
    /// The key: an expression over `$response`, the list of the requests' responses
    /// (`{statusCode, body}` each, in order), giving the name of the field the server orders
    /// the list by when it sends no sort, if that field is a key `after` can compare;
    /// `undefined` or `""` otherwise (the list then pages by offset).
    pub key: String,
}

/// A JSON type of key values ([`KeysetPagination::key_types`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum KeyType {
    /// Numbers, e.g. auto-increment keys.
    Number,
    /// Text, e.g. UUIDs or codes.
    String,
}

/// Properties of the `generic` pagination (`IN8nRequestOperationPaginationGeneric`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenericPagination {
    /// Whether to fetch another page: a boolean or an expression over `$response`/`$request`.
    #[serde(rename = "continue")]
    pub continue_: Value,
    /// Request options of every page (expressions over `$response`/`$request`), merged key by
    /// key over the operation's request (a given `qs` replaces the whole query).
    pub request: RequestOptions,
}

/// A follow-up request of a two-call operation (`routing.then`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FollowUp {
    /// When this alternative is taken: a boolean or an expression over `$parameter`, `$json`
    /// and `$response` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Value>,
    /// The request, built from `requestDefaults` as the first one is (expressions may use
    /// `$response`).
    pub request: RequestOptions,
    /// What to do with its response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<RoutingOutput>,
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
    /// Whether a redirect answer is output (as `{"statusCode", "location"}`) instead of followed,
    /// also within the same origin (n8n's `disableFollowRedirect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_follow_redirect: Option<bool>,
    /// How the response body is read (n8n's `encoding`): `arraybuffer` keeps it as bytes, for
    /// a `binaryData` post-receive action to put into a binary property (streamed, never parsed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// noderun extension (n8n ignores it): send the body as `multipart/form-data`. Maps each
    /// file part's form field name to the binary property of the item whose bytes it carries
    /// (an expression, e.g. `={{ $value }}`). The body's fields are sent first, in order
    /// (strings as they are, other values as JSON text), then the file parts, as Directus
    /// requires; files are streamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multipart: Option<Map<String, Value>>,
}

/// Response encodings (`IHttpRequestOptions.encoding`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// The body as bytes (for binary data).
    Arraybuffer,
    /// The body parsed as JSON (the default).
    Json,
    /// The body as text.
    Text,
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

/// `routing.send` (n8n's `INodeRequestSend`): puts a value into the request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Send")]
pub struct RoutingSend {
    /// Body or query string (default: query string).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<SendType>,
    /// Key to set (dot notation for nested keys unless `propertyInDotNotation` is false); without
    /// it nothing is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// Whether the request pages (`routing.operations.pagination`): a boolean or an expression
    /// over `$value`. The first shown property that sets it decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paginate: Option<Value>,
    /// Value to send instead of the parameter's own (an expression over `$value`, `$parameter`);
    /// a value that evaluates to `undefined` is not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Whether `property` is a dotted path (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_in_dot_notation: Option<bool>,
}

/// `routing.output` (n8n's `INodeRequestOutput`): what happens to the response.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Output")]
pub struct RoutingOutput {
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
    /// The response body becomes a binary property of the item (n8n's `binaryData`); the
    /// item's json is `{}`. The body is streamed: to a file in the binary directory when one is
    /// set, else base64-encoded as it arrives.
    BinaryData {
        /// When the action applies: a boolean or an expression (default true).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enabled: Option<Value>,
        /// The destination property.
        properties: BinaryDataProperties,
    },
}

/// Properties of the `binaryData` action.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BinaryDataProperties {
    /// The binary property to write (an expression, e.g. `={{ $parameter.binaryPropertyName }}`).
    pub destination_property: String,
    /// noderun extension: the file name to record (an expression); without it, the name the
    /// response's `Content-Disposition` gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
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
    /// A value that fits the property, for recorded fixtures and samples: its placeholder when
    /// that fits the type (JSON text holding the right shape, for `json`), else its default,
    /// else a value of the type (`"example"` for text).
    pub fn example(&self) -> Value {
        let placeholder = self.placeholder.as_deref().filter(|p| !p.is_empty());
        match self.kind {
            PropertyType::String if self.is_secret() => Value::String("Secret-1234".into()),
            PropertyType::String => match (placeholder, &self.default) {
                (Some(p), _) => Value::String(p.into()),
                (None, Value::String(d)) if !d.is_empty() => Value::String(d.clone()),
                _ => Value::String("example".into()),
            },
            PropertyType::Json => {
                let fits = |v: &Value| match self.json_shape() {
                    JsonShape::Object => v.is_object(),
                    JsonShape::Array => v.is_array(),
                    JsonShape::ObjectOrArray => v.is_object() || v.is_array(),
                };
                match placeholder.and_then(|p| serde_json::from_str::<Value>(p).ok()) {
                    Some(v) if fits(&v) => Value::String(placeholder.unwrap_or_default().into()),
                    _ if self.json_shape() == JsonShape::Array => Value::String("[]".into()),
                    _ => Value::String("{}".into()),
                }
            }
            PropertyType::Options if self.default == "" => self
                .choices()
                .next()
                .map_or(Value::Null, |c| c.value.clone()),
            _ => self.default.clone(),
        }
    }

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
