//! What an expression costs: the engine's start-up and memory, and the time per evaluation of
//! typical expressions on the native path and in the JavaScript engine (CPU time of this
//! thread, so that a busy machine skews it less than wall time).
//!
//! `cargo run --release -p noderun-expression --example cost [EXPRESSION...]` (expressions given
//! are measured instead of the typical ones).

use std::time::{Duration, Instant};

use noderun_expression::{Context, ContextData, Evaluator, Scope, Template};
use serde_json::json;

fn cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let item = json!({"id": 7, "title": "Hello World", "tags": [{"id": 1}, {"id": 2}],
                      "date_created": "2024-03-05T10:20:30.000Z", "price": 12.5});
    let context = Context::new(ContextData::default());
    let scope = Scope {
        json: item.as_object(),
        context: Some(&context),
        ..Scope::default()
    };
    let rss0 = rss_kib();
    let t0 = cpu();
    let first = Template::parse("={{ [1].map(x => x) }}").unwrap();
    first.evaluate(&scope).unwrap();
    let startup = cpu() - t0;
    println!(
        "engine start-up (runtime, acorn, noderun's runtime; first compile): {:.1} ms CPU, +{} KiB RSS",
        startup.as_secs_f64() * 1e3,
        rss_kib() - rss0
    );
    let t0 = cpu();
    Template::parse("={{ $now.isValid }}")
        .unwrap()
        .evaluate(&scope)
        .unwrap();
    println!(
        "Luxon's first use (loaded then): {:.1} ms CPU",
        (cpu() - t0).as_secs_f64() * 1e3
    );
    let given: Vec<String> = std::env::args().skip(1).collect();
    let typical = [
        "={{ $json.title }}",
        "=/items/articles/{{ $json.id }}",
        "={{ $json.price * 2 > 20 ? 'big' : 'small' }}",
        "={{ $json.tags.map(t => t.id) }}",
        "={{ `${$json.title} #${$json.id}` }}",
        "={{ $json.title.toSnakeCase() }}",
        "={{ JSON.stringify({ id: { _in: $json.tags.map(t => t.id) } }) }}",
        "={{ DateTime.fromISO($json.date_created).plus({ days: 7 }).toISODate() }}",
    ];
    let sources: Vec<&str> = if given.is_empty() {
        typical.to_vec()
    } else {
        given.iter().map(String::as_str).collect()
    };
    for source in sources {
        for (label, template) in [
            ("native", Template::parse(source).unwrap()),
            ("engine", Template::parse_script(source).unwrap()),
        ] {
            if label == "native" && template.evaluator() != Evaluator::Native {
                continue;
            }
            let n = if label == "native" { 200_000 } else { 5_000 };
            template.evaluate(&scope).unwrap();
            let t0 = cpu();
            for _ in 0..n {
                std::hint::black_box(template.evaluate(&scope).unwrap());
            }
            let per = (cpu() - t0) / n;
            println!("{label:>6}  {:>9.2} µs  {source}", per.as_secs_f64() * 1e6);
        }
    }
    let t0 = Instant::now();
    let mut n = 0;
    while t0.elapsed() < Duration::from_millis(200) {
        n += 1;
        Template::parse(&format!("={{{{ $json.id + {n} + [].length }}}}")).unwrap();
    }
    println!(
        "compile of a new expression: {:.0} µs",
        200_000.0 / f64::from(n)
    );
    println!("RSS at the end: {} KiB", rss_kib());
}
