//! Sending an item's request: retried as the settings ask, and followed by the second request of
//! a two-call operation (`routing.then`).

use std::time::Instant;

use noderun_plan::{Item, ItemFailure, ItemPlan, RequestSpec, ResponsePlan};
use serde_json::{Map, Value};

use crate::binary::upload::Upload;
use crate::outcome::{Expect, Outcome};
use crate::settings::Settings;
use crate::transport::Transport;

/// How a run sends its requests: its HTTP client and its settings.
#[derive(Clone, Copy)]
pub(crate) struct Sender<'a> {
    pub(crate) transport: &'a Transport,
    pub(crate) settings: &'a Settings,
}

impl Sender<'_> {
    /// Sends one request (retrying if asked) and gives the items of its response, and its
    /// `$response` when `want_response` (generic pagination).
    pub(crate) async fn send(
        self,
        planned: &ItemPlan<'_>,
        request: &RequestSpec,
        uploads: &[Upload],
        want_response: bool,
    ) -> Result<(Vec<Item>, Option<Value>), ItemFailure> {
        self.retrying(planned, ItemFailure::is_retryable, || {
            self.attempt(planned, request, uploads, want_response)
        })
        .await
    }

    /// Sends the requests of a key lookup in order (retrying as a page is retried, but not a
    /// refusal: an HTTP 4xx other than 429 answers the same again) and gives their responses
    /// (`{statusCode, body}` each), or `None` when one of them fails: the list then pages by
    /// offset, the item does not fail.
    pub(crate) async fn lookup(
        self,
        planned: &ItemPlan<'_>,
        requests: &[RequestSpec],
    ) -> Option<Vec<Value>> {
        let plan = ResponsePlan::default();
        let mut responses = Vec::with_capacity(requests.len());
        for request in requests {
            let outcome = self
                .retrying(planned, retryable_lookup, || {
                    self.exchange(planned, request, &plan, &[], true, false)
                })
                .await;
            match outcome {
                Ok(outcome) => responses.push(outcome.kept),
                Err(f) => {
                    tracing::debug!(
                        item = planned.index(),
                        path = request.path_for_logs(),
                        reason = planned.redactor().scrub(&f.details.message),
                        "key lookup failed: the list pages by offset"
                    );
                    return None;
                }
            }
        }
        Some(responses)
    }

    /// Runs `attempt` until it succeeds, fails for good (a failure that is not `retryable`), or
    /// has been tried as often as the settings allow (waiting between tries as they say, or as
    /// the server's `Retry-After`).
    async fn retrying<T, F, Fut>(
        self,
        planned: &ItemPlan<'_>,
        retryable: fn(&ItemFailure) -> bool,
        mut attempt: F,
    ) -> Result<T, ItemFailure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ItemFailure>>,
    {
        let attempts = self.settings.attempts();
        let mut tried = 1;
        loop {
            match attempt().await {
                Err(f) if retryable(&f) && tried < attempts => {
                    let wait = f.retry_after.map_or(self.settings.wait(), |r| {
                        r.min(self.settings.max_retry_after)
                            .max(self.settings.wait())
                    });
                    tracing::debug!(
                        item = planned.index(),
                        attempt = tried,
                        wait_ms = wait.as_millis() as u64,
                        "retrying after failure"
                    );
                    tokio::time::sleep(wait).await;
                    tried += 1;
                }
                result => return result,
            }
        }
    }

    /// One attempt: the request, and the follow-up of a two-call operation.
    async fn attempt(
        self,
        planned: &ItemPlan<'_>,
        request: &RequestSpec,
        uploads: &[Upload],
        want_response: bool,
    ) -> Result<(Vec<Item>, Option<Value>), ItemFailure> {
        let keep = planned.has_follow_ups();
        let first = self
            .exchange(
                planned,
                request,
                planned.response_plan(),
                uploads,
                keep,
                want_response,
            )
            .await?;
        let Some((follow_up, response_plan)) = planned.follow_up(&first.kept)? else {
            return Ok((first.items, first.page_response));
        };
        let mut items = self
            .exchange(planned, &follow_up, response_plan, &[], false, false)
            .await?
            .items;
        // The first response's binary properties stay (Assets → Get with its file data).
        if let Some(binary) = first.items.into_iter().find_map(|i| i.binary) {
            for item in &mut items {
                item.binary
                    .get_or_insert_with(Map::new)
                    .extend(binary.clone());
            }
        }
        Ok((items, first.page_response))
    }

    /// Sends one request and turns its response into items ([`crate::outcome`]).
    async fn exchange(
        self,
        planned: &ItemPlan<'_>,
        request: &RequestSpec,
        response_plan: &ResponsePlan,
        uploads: &[Upload],
        keep: bool,
        want_response: bool,
    ) -> Result<Outcome, ItemFailure> {
        let started = Instant::now();
        let destination = crate::outcome::binary_destination(response_plan, planned.parameters())?;
        let binary = destination.is_some()
            || request.encoding == Some(noderun_definitions::model::Encoding::Arraybuffer);
        let response = self.transport.start(request, uploads, binary).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &response {
            Ok(r) => tracing::debug!(
                item = planned.index(),
                method = request.method.as_str(),
                path = request.path_for_logs(),
                status = r.status().as_u16(),
                elapsed_ms,
                "response"
            ),
            Err(_) => tracing::debug!(
                item = planned.index(),
                method = request.method.as_str(),
                path = request.path_for_logs(),
                elapsed_ms,
                "request failed"
            ),
        }
        let expect = Expect {
            plan: response_plan,
            parameters: planned.parameters(),
            binary: binary.then(|| destination.unwrap_or_else(|| ("data".into(), None))),
            keep,
            want_response,
        };
        crate::outcome::read(
            response?,
            &request.url,
            self.transport,
            self.settings,
            expect,
        )
        .await
    }
}

/// Whether a failed key lookup request is tried again: as a page, unless the server refused it
/// (an HTTP 4xx other than 429 answers the same again; the list pages by offset at once).
fn retryable_lookup(f: &ItemFailure) -> bool {
    let refused = f
        .details
        .http_code
        .as_deref()
        .is_some_and(|code| code.starts_with('4') && code != "429");
    f.is_retryable() && !refused
}
