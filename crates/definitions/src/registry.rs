//! The registry: every node and credential type, loaded ([`load`](crate::load)), checked
//! ([`check`](crate::check)) and assembled ([`assemble`](crate::assemble)), looked up by name.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::assemble::{Node, assemble};
use crate::compat::Compat;
use crate::model::CredentialType;
use crate::problem::{Error, Problem};
use crate::{check, load, suggest};

/// Every node and credential type noderun knows.
#[derive(Debug)]
pub struct Registry {
    nodes: BTreeMap<String, Node>,
    credentials: BTreeMap<String, CredentialType>,
    /// Other packages' node types that run on a node, by workflow node type.
    compat: BTreeMap<String, Compat>,
}

/// What a workflow node's `type` runs on: a node, and for another package's node type the
/// translation of its parameters.
#[derive(Debug, Clone, Copy)]
pub struct NodeType<'a> {
    /// The node that runs it.
    pub node: &'a Node,
    /// For another package's node (`<node>/compat/*.json`): how its parameters become the node's.
    pub compat: Option<&'a Compat>,
}

impl Registry {
    /// The definitions embedded in the binary (`node-definitions/` at build time).
    ///
    /// They are deserialized strictly (unknown keys are errors) and checked for consistency at
    /// every start; the format-schema pass, which only adds JSON pointers to what strict
    /// deserialization already refuses, and the compilation of the expressions that need the
    /// JavaScript engine are left to the test suite (`from_sources` runs them on the same
    /// files), to keep start-up in milliseconds.
    ///
    /// # Errors
    /// Only if the embedded definitions are invalid, which the test suite rules out.
    pub fn embedded() -> Result<Registry, Error> {
        check::without_script_checks(|| Self::load(load::embedded().into_iter().collect(), false))
    }

    /// The embedded definitions plus those of a directory laid out like `node-definitions/`
    /// (`<node>/node.json`, `<node>/<resource>.json`, `<node>/compat/<name>.json`,
    /// `credentials/<name>.json`; a `source/`
    /// directory, the source form, is not read); a file there replaces the embedded file of the
    /// same path.
    ///
    /// # Errors
    /// Unreadable files, or any problem in the combined definitions.
    pub fn with_directory(dir: &Path) -> Result<Registry, Error> {
        Self::from_sources(Self::sources(Some(dir))?.into_iter().collect())
    }

    /// The definition files [`Registry::with_directory`] loads (the embedded ones with `None`):
    /// path below `node-definitions/` → text. The forms page carries its node's, for the
    /// planner it runs (crates/wasm).
    ///
    /// # Errors
    /// Unreadable files.
    pub fn sources(dir: Option<&Path>) -> Result<BTreeMap<String, String>, Error> {
        let mut sources = load::embedded();
        if let Some(dir) = dir {
            load::read_dir(dir, dir, &mut sources)?;
        }
        Ok(sources)
    }

    /// Definitions from (path, text) pairs laid out like `node-definitions/` (for embedding
    /// engines that keep definitions elsewhere, and for tests).
    ///
    /// # Errors
    /// Every problem found, each with its file and JSON pointer.
    pub fn from_sources(sources: Vec<(String, String)>) -> Result<Registry, Error> {
        Self::load(sources, true)
    }

    /// Definitions from (path, text) pairs that a registry has loaded before (the files the
    /// forms page carries, [`Registry::sources`]): deserialized strictly and checked for
    /// consistency as [`Registry::embedded`] checks them, without the format-schema pass (it
    /// only adds JSON pointers to problems these files do not have, and it is most of the
    /// page's planner's size and start-up).
    ///
    /// # Errors
    /// Every problem found, each with its file.
    pub fn from_loaded_sources(sources: Vec<(String, String)>) -> Result<Registry, Error> {
        Self::load(sources, false)
    }

    fn load(sources: Vec<(String, String)>, check_format: bool) -> Result<Registry, Error> {
        let mut problems = Vec::new();
        let mut files = load::read(&sources, check_format, &mut problems);
        for (path, credential) in files.credentials.values() {
            check::credential(path, credential, &mut problems);
        }
        let mut nodes = BTreeMap::new();
        let node_dirs: HashSet<String> = files.nodes.keys().cloned().collect();
        for (dir, (path, description)) in files.nodes {
            let resources = files.resources.remove(&dir).unwrap_or_default();
            if files.unreadable.contains(&dir) {
                continue;
            }
            if let Some(node) = assemble(
                &path,
                description,
                resources,
                &files.credentials,
                &mut problems,
            ) {
                nodes.insert(node.description.name.clone(), node);
            }
        }
        for (dir, resources) in files.resources {
            for (path, _) in resources
                .into_iter()
                .filter(|_| !files.unreadable.contains(&dir))
            {
                problems.push(Problem {
                    file: path,
                    pointer: String::new(),
                    message: format!("no {dir}/node.json for this resource file"),
                });
            }
        }
        let compat = Self::compat(
            files.compat,
            &nodes,
            &node_dirs,
            &files.unreadable,
            &mut problems,
        );
        if problems.is_empty() {
            Ok(Registry {
                nodes,
                credentials: files
                    .credentials
                    .into_iter()
                    .map(|(k, (_, c))| (k, c))
                    .collect(),
                compat,
            })
        } else {
            Err(Error::Invalid(problems))
        }
    }

    /// The compat files, each checked against the node it runs on, by the node types they name.
    fn compat(
        files: Vec<(String, String, crate::compat::CompatFile)>,
        nodes: &BTreeMap<String, Node>,
        node_dirs: &HashSet<String>,
        unreadable: &HashSet<String>,
        problems: &mut Vec<Problem>,
    ) -> BTreeMap<String, Compat> {
        let mut compat = BTreeMap::new();
        for (dir, path, file) in files {
            let Some(node) = nodes.get(&dir) else {
                // A node that did not assemble has had its problems reported.
                if !unreadable.contains(&dir) && !node_dirs.contains(&dir) {
                    problems.push(Problem {
                        file: path,
                        pointer: String::new(),
                        message: format!("no {dir}/node.json for this compat file"),
                    });
                }
                continue;
            };
            match Compat::new(&path, file, node) {
                Ok(c) => {
                    for (i, t) in c.file.types.iter().enumerate() {
                        if compat.contains_key(t) || nodes.contains_key(t) {
                            problems.push(Problem {
                                file: path.clone(),
                                pointer: format!("/types/{i}"),
                                message: format!("node type '{t}' is named twice"),
                            });
                        }
                    }
                    for t in &c.file.types {
                        compat.insert(t.clone(), c.clone());
                    }
                }
                Err(found) => problems.extend(found),
            }
        }
        compat
    }

    /// All nodes, by name.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    /// Looks a node up.
    ///
    /// # Errors
    /// An unknown node, with the closest one suggested (or the valid ones listed).
    pub fn node(&self, name: &str) -> Result<&Node, Error> {
        self.nodes.get(name).ok_or_else(|| {
            let nodes: Vec<&str> = self.nodes.keys().map(String::as_str).collect();
            Error::NotFound(format!(
                "unknown node '{name}'; {}",
                suggest::hint(name, "nodes", &nodes)
            ))
        })
    }

    /// What a workflow node of type `node_type` runs on: another package's node type named by a
    /// compat file (`@directus/n8n-nodes-directus.directus`), else the node its last dotted part
    /// names (`n8n-nodes-directus.directus`, `@flagbit/n8n-nodes-directus.directus` and plain
    /// `directus` all name the node `directus`).
    ///
    /// # Errors
    /// A type naming no node, with the valid nodes listed.
    pub fn node_type(&self, node_type: &str) -> Result<NodeType<'_>, Error> {
        if let Some(c) = self.compat.get(node_type) {
            return Ok(NodeType {
                node: self.node(&c.node)?,
                compat: Some(c),
            });
        }
        let name = node_type.rsplit('.').next().unwrap_or(node_type);
        Ok(NodeType {
            node: self.node(name)?,
            compat: None,
        })
    }

    /// Looks a credential type up.
    pub fn credential(&self, name: &str) -> Option<&CredentialType> {
        self.credentials.get(name)
    }

    /// All credential types, by name.
    pub fn credentials(&self) -> impl Iterator<Item = &CredentialType> {
        self.credentials.values()
    }
}
