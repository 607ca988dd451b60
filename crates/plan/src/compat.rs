//! Another package's node type (a compat file, `noderun_definitions::Compat`): its workflow
//! nodes' parameters are resolved as they are, then translated into the node's, for each item.

use noderun_definitions::compat::Compat;
use noderun_definitions::display::effective_parameters;
use noderun_definitions::model::Property;
use noderun_expression::{Context, Resolvable};
use serde_json::{Map, Value};

use crate::error::{ItemFailure, SetupError};
use crate::item::Item;
use crate::parameters::{ParameterPlan, evaluate, item_scope};
use crate::routing::ParseError;

/// The other node's parameters of a run, and how they become the node's.
pub(crate) struct CompatPlan {
    compat: Compat,
    /// The other node's shown parameters, expressions parsed.
    template: Resolvable,
    /// The same, raw: `$parameter` of their expressions.
    raw: Map<String, Value>,
}

impl CompatPlan {
    /// The other node's parameters as n8n hands them to it, and, translated (values that are
    /// expressions moved as they are), the node's: what the run is planned from.
    ///
    /// # Errors
    /// A name the other node does not have, an unknown resource or operation, an expression
    /// that does not parse.
    pub(crate) fn compile(
        compat: &Compat,
        parameters: &Map<String, Value>,
        parse_failure: impl Fn(ParseError) -> SetupError,
    ) -> Result<(CompatPlan, Map<String, Value>), SetupError> {
        let shown = compat
            .shown(parameters)
            .map_err(|e| SetupError(e.message))?;
        let ours = compat
            .translate(&shown, None, false)
            .map_err(|e| SetupError(e.message))?;
        let template = Resolvable::new(&Value::Object(shown.clone())).map_err(parse_failure)?;
        Ok((
            CompatPlan {
                compat: compat.clone(),
                template,
                raw: shown,
            },
            ours,
        ))
    }

    /// The other node's parameters as given (`$parameter` of their expressions).
    pub(crate) fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// The item's parameters: the other node's resolved, translated into the node's (whose
    /// `properties` apply their displayOptions and defaults), then checked as the node's; a
    /// problem with a translated value names the other node's parameter.
    ///
    /// # Errors
    /// The failing parameter with a message naming it and what was expected.
    pub(crate) fn resolve(
        &self,
        index: usize,
        item: &Item,
        context: &Context,
        properties: &[Property],
        plan: &ParameterPlan,
        whole: impl Fn(&Map<String, Value>) -> Result<(), ItemFailure>,
    ) -> Result<Map<String, Value>, ItemFailure> {
        let scope = item_scope(index, item, context);
        let Some(Value::Object(parameters)) = evaluate(&self.template, None, &scope, item)? else {
            return Err(ItemFailure::parameter("", "parameters must be an object"));
        };
        let translated = self
            .compat
            .translate(&parameters, item.binary.as_ref(), true)
            .map_err(|e| ItemFailure::parameter(&e.parameter, e.message))?;
        plan.check(effective_parameters(properties, &translated), whole)
            .map_err(|mut f| {
                let source = f
                    .parameter
                    .as_deref()
                    .and_then(|target| self.compat.source_name(&parameters, target));
                if let (Some(target), Some(source)) = (f.parameter.clone(), source) {
                    f.details.message = f
                        .details
                        .message
                        .replace(&format!("'{target}'"), &format!("'{source}'"))
                        .replace(
                            &format!("parameter: {target}"),
                            &format!("parameter: {source}"),
                        );
                    f.parameter = Some(source.to_string());
                }
                f
            })
    }
}
