//! N-API addon of @tinkerbox/raw-scanner: raw SYN scanning on Linux.
//!
//! Exports (checked by the loader in src/adapters/native.ts, together with `ABI_VERSION`):
//! `capabilityProblem()`, `synCookie(secret, first, last, src, dst, dport)`,
//! `blackrockShuffle(range, seed, rounds, start, count)`, `open(secret, first, last, recvBuffer, rate)`,
//! `send(handle, probes)`, `poll(handle)`, `stats(handle)`, `close(handle)`.

#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
compile_error!("raw-scanner-native supports Linux x86_64 and aarch64 (hand-declared libc layouts)");

mod cookie;
mod engine;
mod napi;
mod sys;

use cookie::{Blackrock, Cookies};
use engine::Engine;
use napi::*;
use std::ffi::{c_void, CString};
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

/// Bumped whenever an export changes meaning; the loader refuses any other value.
const ABI_VERSION: u32 = 2;

type Args = Vec<napi_value>;

fn args(env: napi_env, info: napi_callback_info, n: usize) -> Args {
    let mut argc = n;
    let mut argv = vec![null_mut(); n];
    unsafe { napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), null_mut(), null_mut()) };
    argv.truncate(argc.min(n));
    argv
}

fn number(env: napi_env, v: Option<&napi_value>, what: &str) -> Result<f64, String> {
    let v = v.ok_or_else(|| format!("{what}: missing"))?;
    let mut t = 0;
    unsafe { napi_typeof(env, *v, &mut t) };
    if t != NAPI_NUMBER {
        return Err(format!("{what}: expected a number"));
    }
    let mut out = 0f64;
    unsafe { napi_get_value_double(env, *v, &mut out) };
    Ok(out)
}

fn integer(env: napi_env, v: Option<&napi_value>, what: &str, max: f64) -> Result<u64, String> {
    let x = number(env, v, what)?;
    if x < 0.0 || x > max || x.fract() != 0.0 {
        return Err(format!("{what}: expected an integer 0–{max}, got {x}"));
    }
    Ok(x as u64)
}

fn buffer<'a>(env: napi_env, v: Option<&napi_value>, what: &str) -> Result<&'a [u8], String> {
    let v = v.ok_or_else(|| format!("{what}: missing"))?;
    let mut is = false;
    unsafe { napi_is_buffer(env, *v, &mut is) };
    if !is {
        return Err(format!("{what}: expected a Buffer or Uint8Array"));
    }
    let mut data: *mut c_void = null_mut();
    let mut len = 0usize;
    unsafe { napi_get_buffer_info(env, *v, &mut data, &mut len) };
    if len == 0 {
        return Ok(&[]);
    }
    Ok(unsafe { std::slice::from_raw_parts(data as *const u8, len) })
}

fn cookies(env: napi_env, a: &Args) -> Result<Cookies, String> {
    let secret = buffer(env, a.first(), "secret")?;
    let secret: &[u8; 16] = secret.try_into().map_err(|_| "secret: expected 16 bytes".to_string())?;
    let first = integer(env, a.get(1), "first", 65535.0)? as u16;
    let last = integer(env, a.get(2), "last", 65535.0)? as u16;
    let size = last as u32 + 1 - first as u32;
    if first == 0 || last < first || size & (size - 1) != 0 {
        return Err(format!("source ports {first}-{last}: need 1 ≤ first ≤ last and a power-of-two count"));
    }
    Ok(Cookies::new(secret, first, last))
}

fn engine<'a>(env: napi_env, v: Option<&napi_value>) -> Result<&'a mut Option<Engine>, String> {
    let v = v.ok_or("handle: missing")?;
    let mut t = 0;
    unsafe { napi_typeof(env, *v, &mut t) };
    if t != NAPI_EXTERNAL {
        return Err("handle: expected the value open() returned".into());
    }
    let mut p: *mut c_void = null_mut();
    unsafe { napi_get_value_external(env, *v, &mut p) };
    Ok(unsafe { &mut *(p as *mut Option<Engine>) })
}

fn double(env: napi_env, x: f64) -> napi_value {
    let mut v = null_mut();
    unsafe { napi_create_double(env, x, &mut v) };
    v
}

fn string(env: napi_env, s: &str) -> napi_value {
    let mut v = null_mut();
    unsafe { napi_create_string_utf8(env, s.as_ptr() as *const c_char, s.len(), &mut v) };
    v
}

fn undefined(env: napi_env) -> napi_value {
    let mut v = null_mut();
    unsafe { napi_get_undefined(env, &mut v) };
    v
}

fn bytes(env: napi_env, data: &[u8]) -> napi_value {
    let mut v = null_mut();
    let mut out = null_mut();
    unsafe { napi_create_buffer_copy(env, data.len(), data.as_ptr() as *const c_void, &mut out, &mut v) };
    v
}

fn set(env: napi_env, obj: napi_value, name: &str, value: napi_value) {
    let name = CString::new(name).unwrap();
    unsafe { napi_set_named_property(env, obj, name.as_ptr(), value) };
}

/// Runs a callback body; a returned error or a panic becomes a thrown JS Error.
fn guard(env: napi_env, body: impl FnOnce() -> Result<napi_value, String>) -> napi_value {
    let message = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(v)) => return v,
        Ok(Err(m)) => m,
        Err(_) => "raw-scanner native: internal panic".to_string(),
    };
    let code = CString::new("ERR_RAW_SCANNER_NATIVE").unwrap();
    let msg = CString::new(message.replace('\0', " ")).unwrap();
    unsafe { napi_throw_error(env, code.as_ptr(), msg.as_ptr()) };
    null_mut()
}

unsafe extern "C" fn capability_problem(env: napi_env, _info: napi_callback_info) -> napi_value {
    guard(env, || {
        Ok(match engine::capability_problem() {
            Some(reason) => string(env, &reason),
            None => {
                let mut v = null_mut();
                napi_get_null(env, &mut v);
                v
            }
        })
    })
}

unsafe extern "C" fn syn_cookie(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let a = args(env, info, 6);
        let c = cookies(env, &a)?;
        let src = integer(env, a.get(3), "src", u32::MAX as f64)? as u32;
        let dst = integer(env, a.get(4), "dst", u32::MAX as f64)? as u32;
        let dport = integer(env, a.get(5), "dport", 65535.0)? as u16;
        let (port, seq) = c.probe(src, dst, dport);
        let mut arr = null_mut();
        napi_create_array_with_length(env, 2, &mut arr);
        napi_set_element(env, arr, 0, double(env, port as f64));
        napi_set_element(env, arr, 1, double(env, seq as f64));
        Ok(arr)
    })
}

unsafe extern "C" fn blackrock_shuffle(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let a = args(env, info, 5);
        let range = integer(env, a.first(), "range", 9007199254740991.0)?;
        if range < 1 {
            return Err("range: must be ≥ 1".into());
        }
        let seed_v = a.get(1).ok_or("seed: missing")?;
        let mut t = 0;
        napi_typeof(env, *seed_v, &mut t);
        if t != NAPI_BIGINT {
            return Err("seed: expected a bigint".into());
        }
        let mut seed = 0u64;
        let mut lossless = false;
        napi_get_value_bigint_uint64(env, *seed_v, &mut seed, &mut lossless);
        let rounds = integer(env, a.get(2), "rounds", 64.0)? as u32;
        if rounds < 1 {
            return Err("rounds: must be 1–64".into());
        }
        let start = integer(env, a.get(3), "start", 9007199254740991.0)?;
        let count = integer(env, a.get(4), "count", 16_777_216.0)?;
        if start + count > range {
            return Err("start + count: beyond the range".into());
        }
        if !Blackrock::fits_number_path(range) {
            return Err("range: its Feistel square exceeds 2^53 (the TypeScript bigint path; not in the addon)".into());
        }
        let br = Blackrock::new(range, seed, rounds);
        let mut out = Vec::with_capacity(count as usize * 8);
        for i in start..start + count {
            out.extend_from_slice(&(br.shuffle(i) as f64).to_le_bytes());
        }
        Ok(bytes(env, &out))
    })
}

unsafe extern "C" fn finalize_engine(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    drop(Box::from_raw(data as *mut Option<Engine>));
}

unsafe extern "C" fn open(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let a = args(env, info, 5);
        let c = cookies(env, &a)?;
        let recv_buffer = integer(env, a.get(3), "recvBuffer", 1_073_741_824.0)? as i32;
        // SYNs per second the sender thread paces to; 0: unpaced.
        let rate = number(env, a.get(4), "rate")?;
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(format!("rate: expected a number ≥ 0, got {rate}"));
        }
        let e = Engine::open(c, recv_buffer, rate)?;
        let boxed = Box::into_raw(Box::new(Some(e)));
        let mut v = null_mut();
        napi_create_external(env, boxed as *mut c_void, Some(finalize_engine), null_mut(), &mut v);
        Ok(v)
    })
}

unsafe extern "C" fn send(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let a = args(env, info, 2);
        let e = engine(env, a.first())?.as_ref().ok_or("engine is closed")?;
        let probes = buffer(env, a.get(1), "probes")?;
        if probes.len() % engine::PROBE_BYTES != 0 {
            return Err(format!("probes: length must be a multiple of {}", engine::PROBE_BYTES));
        }
        if !e.send(probes.to_vec()) {
            return Err("engine sender thread is gone".into());
        }
        Ok(undefined(env))
    })
}

unsafe extern "C" fn poll(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let a = args(env, info, 1);
        let e = engine(env, a.first())?.as_ref().ok_or("engine is closed")?;
        let r = e.take_results();
        Ok(if r.is_empty() { undefined(env) } else { bytes(env, &r) })
    })
}

unsafe extern "C" fn stats(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let a = args(env, info, 1);
        let e = engine(env, a.first())?.as_ref().ok_or("engine is closed")?;
        Ok(stats_object(env, &e.stats()))
    })
}

fn stats_object(env: napi_env, s: &engine::Stats) -> napi_value {
    unsafe {
        let mut obj = null_mut();
        napi_create_object(env, &mut obj);
        set(env, obj, "sent", double(env, s.sent as f64));
        set(env, obj, "sendErrors", double(env, s.send_errors as f64));
        set(env, obj, "received", double(env, s.received as f64));
        set(env, obj, "matched", double(env, s.matched as f64));
        set(env, obj, "rstsSent", double(env, s.rsts_sent as f64));
        set(env, obj, "kernelDrops", double(env, s.kernel_drops as f64));
        set(env, obj, "sendSpanMs", double(env, s.send_span_ms));
        obj
    }
}

unsafe extern "C" fn close(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let a = args(env, info, 1);
        let slot = engine(env, a.first())?;
        let mut e = slot.take().ok_or("engine is closed")?;
        e.close();
        Ok(stats_object(env, &e.stats()))
    })
}

unsafe fn export(env: napi_env, exports: napi_value, name: &str, f: napi_callback) {
    let cname = CString::new(name).unwrap();
    let mut v = null_mut();
    napi_create_function(env, cname.as_ptr(), NAPI_AUTO_LENGTH, f, null_mut(), &mut v);
    napi_set_named_property(env, exports, cname.as_ptr(), v);
}

/// Node-API's module entry point (what `NAPI_MODULE_INIT` defines in C).
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    let mut abi = null_mut();
    napi_create_uint32(env, ABI_VERSION, &mut abi);
    set(env, exports, "ABI_VERSION", abi);
    export(env, exports, "capabilityProblem", capability_problem);
    export(env, exports, "synCookie", syn_cookie);
    export(env, exports, "blackrockShuffle", blackrock_shuffle);
    export(env, exports, "open", open);
    export(env, exports, "send", send);
    export(env, exports, "poll", poll);
    export(env, exports, "stats", stats);
    export(env, exports, "close", close);
    exports
}

/// The Node-API version this addon needs (napi_create_buffer_copy, bigint: 6).
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    6
}
