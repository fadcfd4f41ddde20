//! An example token hook for Lintel's WebAssembly runtime, in Rust: it
//! gives each user a "tier" claim in the access token, "gold" for people
//! of the domains in GOLD_DOMAINS, "standard" for the others — the same
//! hook as ../wasm-go.
//!
//! Build it for wasm32-unknown-unknown (no WASI, so it imports nothing):
//!
//!     rustc --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown \
//!         -C opt-level=s -C panic=abort -C strip=symbols -o hook.wasm src/lib.rs
//!
//! or `cargo build --release --target wasm32-unknown-unknown`. Lintel's
//! tests build and call this very file when the target is installed.
//!
//! It has no dependencies, so it carries a small JSON reader (json.rs); a
//! real hook would rather use serde_json.

mod json;

use json::Value;

/// The email domains whose users get the gold tier.
const GOLD_DOMAINS: &[&str] = &["example.com"];

/// Answers one request of Lintel with the hook's commands.
fn token_hook(request: &Value) -> String {
    let point = request.get("point").and_then(Value::as_str).unwrap_or("");
    let subject = request.get("subject").and_then(Value::as_str).unwrap_or("");
    if point != "token" || subject.is_empty() {
        return r#"{"commands":[]}"#.to_string(); // nothing to change
    }
    let email = request
        .get("data")
        .and_then(|d| d.get("claims"))
        .and_then(|c| c.get("email"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let gold = match email.split_once('@') {
        Some((_, domain)) => GOLD_DOMAINS.iter().any(|d| d.eq_ignore_ascii_case(domain)),
        None => false,
    };
    let tier = if gold { "gold" } else { "standard" };
    format!(
        r#"{{"commands":[{{"type":"token.claims.set","value":{{"target":"access","claims":{{"tier":"{}"}}}}}}]}}"#,
        tier
    )
}

// The calling convention: Lintel asks for a buffer with lintel_alloc,
// writes the request there and calls lintel_handle, which answers with
// the address and length of the response (address << 32 | length). Both
// buffers live in statics: they must stay alive until the next call. The
// runtime calls one instance at a time.
static mut INPUT: Vec<u8> = Vec::new();
static mut OUTPUT: Vec<u8> = Vec::new();

#[no_mangle]
pub extern "C" fn lintel_alloc(size: i32) -> i32 {
    unsafe {
        INPUT = vec![0; size as usize];
        INPUT.as_mut_ptr() as i32
    }
}

#[no_mangle]
pub extern "C" fn lintel_handle(_ptr: i32, size: i32) -> i64 {
    unsafe {
        let input = &INPUT[..size as usize];
        OUTPUT = match json::parse(input) {
            Some(request) => token_hook(&request).into_bytes(),
            // An answer Lintel cannot use counts as the hook failing, and
            // the hook's failure policy applies.
            None => b"{}".to_vec(),
        };
        ((OUTPUT.as_ptr() as i64) << 32) | OUTPUT.len() as i64
    }
}
