//! The planner for the forms page (`noderun forms`), compiled to WebAssembly
//! (`wasm32-unknown-unknown`, built by `scripts/forms-wasm`): the page computes its dry run with
//! the code `noderun run --dry-run` runs, not a second interpreter.
//!
//! The primary type is [`Page`]: the registry of the page's node, loaded once from the
//! definition files the page carries ([`Page::load`]), which turns a workflow node's parameters,
//! a credential and an input item into the item `noderun run --dry-run` prints
//! ([`Page::dry_run`]).
//!
//! The key decision: a plain C interface of JSON text in and out (`noderun_alloc`,
//! `noderun_free`, `noderun_load`, `noderun_dry_run`), read by a loader of a few lines in the page
//! (`forms/src/planner.js`): no wasm-bindgen, no generated JavaScript, nothing to install but the
//! Rust toolchain. The build has no JavaScript engine (`noderun-expression` without its `engine`
//! feature): an expression outside the native subset fails with a message saying it needs the
//! engine of the noderun binary, which the page shows.

use std::sync::Arc;

use noderun_definitions::Registry;
use noderun_plan::{FileSource, Item, Paging, Plan, RequestSpec, file_dry_run};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The page's node: the registry its definition files make.
pub struct Page {
    registry: Arc<Registry>,
}

/// One dry run the page asks for.
#[derive(Deserialize)]
pub struct DryRun {
    /// The workflow node's type or the node's name (`n8n-nodes-noderun.directus`, `directus`).
    pub node: String,
    /// The workflow node's parameters, as n8n stores them (`resource`, `operation`, …).
    pub parameters: Map<String, Value>,
    /// The credential's fields.
    pub credentials: Map<String, Value>,
    /// The input item (`{"json": …, "binary": …}` or the bare json); `null` for the page's
    /// own: `{}`, or when the request uploads, an item whose binary properties the file parts
    /// name hold `sample_file`.
    pub item: Value,
    /// The file of the page's own item (n8n binary data).
    #[serde(default, rename = "sampleFile")]
    pub sample_file: Value,
}

impl Page {
    /// The registry of the definition files `files` (path below `node-definitions/` → the
    /// file's JSON, as `noderun forms` embeds them from its registry: checked as the embedded
    /// definitions are, [`Registry::from_loaded_sources`]).
    ///
    /// # Errors
    /// Every problem of the definitions, one a line.
    pub fn load(files: Map<String, Value>) -> Result<Page, String> {
        let sources = files
            .into_iter()
            .map(|(path, value)| (path, value.to_string()))
            .collect();
        let registry = Registry::from_loaded_sources(sources).map_err(|e| e.to_string())?;
        Ok(Page {
            registry: Arc::new(registry),
        })
    }

    /// `{"dryRun": …, "item": …}`: the item's json `noderun run --dry-run` prints for `run`
    /// (secrets as `***`), and the input item it was given.
    ///
    /// # Errors
    /// The message noderun gives for the run or the item.
    pub fn dry_run(&self, run: DryRun) -> Result<Value, String> {
        let plan = Plan::compile(
            self.registry.clone(),
            &run.node,
            run.parameters,
            run.credentials,
        )
        .map_err(|e| e.0)?;
        if let Some(failure) = plan.literal_failure() {
            return Err(failure.message().to_string());
        }
        let own = run.item.is_null();
        let mut input = if own { json!({}) } else { run.item };
        let mut item = Item::from_input(input.clone())?;
        let mut request = Self::request(&plan, &item)?;
        if own && !request.files.is_empty() {
            let binary: Map<String, Value> = request
                .files
                .iter()
                .map(|(_, property)| (property.clone(), run.sample_file.clone()))
                .collect();
            input = json!({"json": {}, "binary": binary});
            item = Item::from_input(input.clone())?;
            request = Self::request(&plan, &item)?;
        }
        let planned = plan
            .for_item(0, &item)
            .map_err(|f| f.message().to_string())?;
        let mut files = Map::new();
        for part in request
            .file_parts(&item)
            .map_err(|f| f.message().to_string())?
        {
            let FileSource::Data(bytes) = &part.source else {
                return Err(format!(
                    "binary property '{}' references a file (`path`): the page cannot read files; give its bytes as base64 in `data`",
                    part.property
                ));
            };
            let shown = file_dry_run(&part.file_name, &part.mime_type, bytes.len() as u64);
            files.insert(part.field, shown);
        }
        let dry_run = planned.dry_run(&request, files, false).json;
        Ok(json!({"dryRun": dry_run, "item": input}))
    }

    /// The first request of the item (of its first page, for a list that pages).
    fn request(plan: &Plan, item: &Item) -> Result<RequestSpec, String> {
        let planned = plan
            .for_item(0, item)
            .map_err(|f| f.message().to_string())?;
        let mut pages = planned
            .pages(&Paging::default())
            .map_err(|f| f.message().to_string())?;
        pages
            .next_request()
            .map_err(|f| f.message().to_string())?
            .ok_or_else(|| "the operation makes no request".to_string())
    }
}

thread_local! {
    static PAGE: std::cell::RefCell<Option<Page>> = const { std::cell::RefCell::new(None) };
}

/// Reserves `len` bytes for the page to write its JSON text into.
#[unsafe(no_mangle)]
pub extern "C" fn noderun_alloc(len: usize) -> *mut u8 {
    Box::into_raw(vec![0u8; len].into_boxed_slice()).cast()
}

/// Frees what [`noderun_alloc`] reserved or a call returned.
///
/// # Safety
/// `ptr` and `len` are those of one earlier allocation, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn noderun_free(ptr: *mut u8, len: usize) {
    // SAFETY: the caller gives back an allocation of `len` bytes made here.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len) });
}

/// `{"files": {...}}` → `{"ok": true}` or `{"error": "..."}`: loads the page's definitions.
///
/// # Safety
/// `ptr` holds `len` bytes of UTF-8 that the call takes over (and frees).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn noderun_load(ptr: *mut u8, len: usize) -> u64 {
    // SAFETY: as documented.
    call(unsafe { take(ptr, len) }, |input| {
        #[derive(Deserialize)]
        struct Load {
            files: Map<String, Value>,
        }
        let load: Load = serde_json::from_str(input).map_err(|e| e.to_string())?;
        let page = Page::load(load.files)?;
        PAGE.with(|p| *p.borrow_mut() = Some(page));
        Ok(json!(true))
    })
}

/// A [`DryRun`] as JSON → `{"ok": <the dry run's item json>}` or `{"error": "..."}`.
///
/// # Safety
/// As [`noderun_load`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn noderun_dry_run(ptr: *mut u8, len: usize) -> u64 {
    // SAFETY: as documented.
    call(unsafe { take(ptr, len) }, |input| {
        let run: DryRun = serde_json::from_str(input).map_err(|e| e.to_string())?;
        PAGE.with(|p| match p.borrow().as_ref() {
            Some(page) => page.dry_run(run),
            None => Err("no definitions loaded".into()),
        })
    })
}

/// The input text a call was given.
///
/// # Safety
/// As [`noderun_load`].
unsafe fn take(ptr: *mut u8, len: usize) -> String {
    // SAFETY: as documented.
    let bytes = unsafe { Vec::from_raw_parts(ptr, len, len) };
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Runs `f` and hands its answer to the page: the output's address in the high 32 bits, its
/// length in the low ones (freed by the page with [`noderun_free`]).
fn call(input: String, f: impl FnOnce(&str) -> Result<Value, String>) -> u64 {
    let answer = match f(&input) {
        Ok(v) => json!({"ok": v}),
        Err(e) => json!({"error": e}),
    };
    let mut bytes = answer.to_string().into_bytes().into_boxed_slice();
    let (ptr, len) = (bytes.as_mut_ptr() as usize as u64, bytes.len() as u64);
    std::mem::forget(bytes);
    (ptr << 32) | len
}

/// Random bytes for getrandom's `custom` backend (scripts/forms-wasm selects it): the page's
/// `crypto.getRandomValues`, imported as `noderun.random_fill`.
#[cfg(target_arch = "wasm32")]
mod random {
    #[link(wasm_import_module = "noderun")]
    unsafe extern "C" {
        fn random_fill(ptr: *mut u8, len: usize);
    }

    /// getrandom 0.3's hook.
    ///
    /// # Safety
    /// `dest` is valid for `len` bytes (getrandom's contract).
    #[unsafe(no_mangle)]
    unsafe extern "Rust" fn __getrandom_v03_custom(
        dest: *mut u8,
        len: usize,
    ) -> Result<(), getrandom::Error> {
        // SAFETY: as documented; the page fills exactly `len` bytes at `dest`.
        unsafe { random_fill(dest, len) };
        Ok(())
    }
}
