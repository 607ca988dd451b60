//! Descriptions an agent understands: the tools' descriptions are the operations', the
//! parameters' are the properties', both from the definitions. Every one must be a sentence
//! (not empty, more than a label), must not restate its name, and must not be shared by
//! unrelated parameters, of different names and labels (one text for two different things
//! describes neither).

use std::collections::{BTreeMap, BTreeSet};

use noderun_definitions::Registry;
use noderun_definitions::model::{Property, PropertyOption, PropertyType};

/// Words that say nothing about a parameter on their own.
const FILLER: &[&str] = &[
    "a", "an", "the", "of", "to", "for", "in", "on", "by", "with", "and", "or", "its", "it", "is",
    "be", "as", "at", "from", "this", "that", "which", "one", "all", "s",
];

fn words(text: &str) -> Vec<String> {
    let mut spaced = String::new();
    let mut previous = ' ';
    for c in text.chars() {
        // camelCase names split into words
        if c.is_uppercase() && previous.is_lowercase() {
            spaced.push(' ');
        }
        spaced.push(c);
        previous = c;
    }
    spaced
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// What is wrong with `description` of the thing called `names`, if anything.
fn problem(description: Option<&str>, names: &[&str]) -> Option<String> {
    let Some(text) = description.map(str::trim).filter(|d| !d.is_empty()) else {
        return Some("no description".into());
    };
    if !text.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit() || "\"'`*$".contains(c)) {
        return Some(format!("does not start a sentence: {text:?}"));
    }
    let all = words(text);
    if all.len() < 4 {
        return Some(format!("a label, not a sentence: {text:?}"));
    }
    let named: BTreeSet<String> = names.iter().flat_map(|n| words(n)).collect();
    if all
        .iter()
        .filter(|w| !FILLER.contains(&w.as_str()))
        .all(|w| named.contains(w))
    {
        return Some(format!("restates its name: {text:?}"));
    }
    None
}

struct Check {
    problems: Vec<String>,
    /// Description → the parameters (name and label) that have it, and where.
    texts: BTreeMap<String, BTreeMap<(String, String), String>>,
}

impl Check {
    fn property(&mut self, p: &Property, at: &str) {
        if p.kind == PropertyType::Notice {
            return;
        }
        let at = format!("{at} › {}", p.name);
        let selector = p.no_data_expression && p.kind == PropertyType::Options;
        if !selector {
            if let Some(problem) = problem(p.description.as_deref(), &[&p.display_name, &p.name]) {
                self.problems.push(format!("{at}: {problem}"));
            }
            if let Some(d) = &p.description {
                self.texts
                    .entry(d.clone())
                    .or_default()
                    .insert((p.name.clone(), p.display_name.clone()), at.clone());
            }
        }
        for option in &p.options {
            match option {
                PropertyOption::Property(sub) => self.property(sub, &at),
                PropertyOption::Group(group) => {
                    for sub in &group.values {
                        self.property(sub, &format!("{at} › {}", group.name));
                    }
                }
                // The choices of a selector (resource, operation) are what an agent picks from.
                PropertyOption::Choice(choice) if selector => {
                    let value = choice.value.as_str().unwrap_or_default();
                    if let Some(problem) =
                        problem(choice.description.as_deref(), &[&choice.name, value])
                    {
                        self.problems.push(format!("{at} = {value}: {problem}"));
                    }
                }
                PropertyOption::Choice(_) => {}
            }
        }
    }
}

#[test]
fn every_operation_and_parameter_has_a_description_an_agent_understands() {
    let registry = Registry::embedded().expect("the definitions load");
    let mut check = Check {
        problems: vec![],
        texts: BTreeMap::new(),
    };
    // the nodes whose operations are tools (a trigger node has none)
    for node in registry.nodes().filter(|n| !n.operations().is_empty()) {
        for p in &node.description.properties {
            let resource = p
                .display_options
                .as_ref()
                .and_then(|d| d.show.as_ref())
                .and_then(|s| s.get("resource"))
                .map_or(String::new(), |r| {
                    serde_json::to_string(r).unwrap_or_default()
                });
            check.property(p, &format!("{} {resource}", node.description.name));
        }
    }
    for (text, users) in &check.texts {
        let names: BTreeSet<&String> = users.keys().map(|(name, _)| name).collect();
        let labels: BTreeSet<&String> = users.keys().map(|(_, label)| label).collect();
        if names.len() > 1 && labels.len() > 1 {
            check.problems.push(format!(
                "one description for different parameters ({}): {text:?}",
                users.values().cloned().collect::<Vec<_>>().join("; ")
            ));
        }
    }
    assert!(
        check.problems.is_empty(),
        "{} descriptions to write:\n{}",
        check.problems.len(),
        check.problems.join("\n")
    );
}

#[test]
fn the_check_knows_a_restatement_from_a_sentence() {
    assert_eq!(
        problem(Some("Collection name"), &["Collection Name", "collection"]).as_deref(),
        Some("a label, not a sentence: \"Collection name\"")
    );
    assert_eq!(
        problem(
            Some("The name of the collection"),
            &["Collection Name", "collection"]
        )
        .as_deref(),
        Some("restates its name: \"The name of the collection\"")
    );
    assert_eq!(problem(None, &["Limit"]).as_deref(), Some("no description"));
    assert_eq!(
        problem(
            Some("The collection's name (its database table), e.g. articles"),
            &["Collection Name", "collection"]
        ),
        None
    );
}
