//! The Linux raw-packet engine: a sender thread (raw IPv4 socket with IP_HDRINCL, `sendmmsg`)
//! and a receiver thread (AF_PACKET socket with a BPF filter on the source-port range,
//! `recvmmsg`) that matches SYN-ACK/RST replies by cookie and queues them for JS in batches.

use crate::cookie::Cookies;
use crate::sys::*;
use std::collections::HashMap;
use std::ffi::c_void;
use std::mem::{size_of, zeroed};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes of one probe as JS hands it over: destination address (u32 BE), port (u16 BE), 2 spare.
pub const PROBE_BYTES: usize = 8;
/// Bytes of one result record: address (u32 BE), port (u16 BE), status, ttl, errno (u32 BE).
pub const RESULT_BYTES: usize = 12;
pub const STATUS_OPEN: u8 = 1;
pub const STATUS_CLOSED: u8 = 2;
pub const STATUS_LOCAL_ERROR: u8 = 3;

const BATCH: usize = 256;
const PACKET_BYTES: usize = 40;

#[derive(Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub send_errors: AtomicU64,
    pub received: AtomicU64,
    pub matched: AtomicU64,
    pub rsts_sent: AtomicU64,
    /// Nanoseconds from the engine's start to the first and to the latest SYN batch sent.
    pub first_send_ns: AtomicU64,
    pub last_send_ns: AtomicU64,
}

struct Shared {
    started: Instant,
    stop: AtomicBool,
    results: Mutex<Vec<u8>>,
    counters: Counters,
    kernel_drops: AtomicU64,
}

pub struct Engine {
    tx: Option<Sender<Vec<u8>>>,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

/// Why the raw sockets cannot be opened (no CAP_NET_RAW…), or None when they can.
pub fn capability_problem() -> Option<String> {
    unsafe {
        let raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        if raw < 0 {
            let e = errno();
            return Some(format!("raw IPv4 socket: {} (errno {e}; needs CAP_NET_RAW)", strerror(e)));
        }
        close(raw);
        let pkt = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, (ETH_P_IP as u16).to_be() as i32);
        if pkt < 0 {
            let e = errno();
            return Some(format!("AF_PACKET socket: {} (errno {e}; needs CAP_NET_RAW)", strerror(e)));
        }
        close(pkt);
    }
    None
}

fn checksum(data: &[u8], initial: u32) -> u16 {
    let mut sum = initial;
    let mut i = 0;
    while i + 1 < data.len() {
        sum += u16::from_be_bytes([data[i], data[i + 1]]) as u32;
        i += 2;
    }
    if i < data.len() {
        sum += (data[i] as u32) << 8;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 + TCP packet (no options): a SYN probe or the RST that ends a half-open connection.
fn build_packet(buf: &mut [u8; PACKET_BYTES], src: u32, dst: u32, sport: u16, dport: u16, seq: u32, flags: u8) {
    buf[0] = 0x45;
    buf[1] = 0;
    buf[2..4].copy_from_slice(&(PACKET_BYTES as u16).to_be_bytes());
    buf[4..6].copy_from_slice(&((seq ^ dst) as u16).to_be_bytes());
    buf[6] = 0;
    buf[7] = 0;
    buf[8] = 64;
    buf[9] = IPPROTO_TCP as u8;
    buf[10] = 0;
    buf[11] = 0;
    buf[12..16].copy_from_slice(&src.to_be_bytes());
    buf[16..20].copy_from_slice(&dst.to_be_bytes());
    let ipsum = checksum(&buf[0..20], 0);
    buf[10..12].copy_from_slice(&ipsum.to_be_bytes());
    let t = &mut buf[20..40];
    t[0..2].copy_from_slice(&sport.to_be_bytes());
    t[2..4].copy_from_slice(&dport.to_be_bytes());
    t[4..8].copy_from_slice(&seq.to_be_bytes());
    t[8..12].copy_from_slice(&0u32.to_be_bytes());
    t[12] = 5 << 4;
    t[13] = flags;
    t[14..16].copy_from_slice(&1024u16.to_be_bytes());
    t[16] = 0;
    t[17] = 0;
    t[18] = 0;
    t[19] = 0;
    // Pseudo-header: source, destination, protocol, TCP length.
    let pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IPPROTO_TCP as u32 + 20;
    let sum = checksum(&buf[20..40], pseudo);
    buf[36..38].copy_from_slice(&sum.to_be_bytes());
}

/// Sends `count` prepared packets with sendmmsg; returns (sent, failures as (index, errno)).
fn send_batch(fd: i32, bufs: &mut [[u8; PACKET_BYTES]], addrs: &mut [sockaddr_in], count: usize, failed: &mut Vec<(usize, i32)>) -> usize {
    let mut iov: [iovec; BATCH] = unsafe { zeroed() };
    let mut msgs: [mmsghdr; BATCH] = unsafe { zeroed() };
    for i in 0..count {
        iov[i] = iovec { iov_base: bufs[i].as_mut_ptr() as *mut c_void, iov_len: PACKET_BYTES };
        msgs[i].msg_hdr.msg_name = &mut addrs[i] as *mut sockaddr_in as *mut c_void;
        msgs[i].msg_hdr.msg_namelen = size_of::<sockaddr_in>() as u32;
        msgs[i].msg_hdr.msg_iov = &mut iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    let mut off = 0;
    let mut sent = 0;
    let mut stalls = 0;
    while off < count {
        let r = unsafe { sendmmsg(fd, msgs.as_mut_ptr().add(off), (count - off) as u32, 0) };
        if r < 0 {
            let e = errno();
            if e == EINTR {
                continue;
            }
            if (e == ENOBUFS || e == EAGAIN) && stalls < 1000 {
                // The device queue is full: wait for it to drain, do not drop the probe.
                stalls += 1;
                std::thread::sleep(std::time::Duration::from_micros(200));
                continue;
            }
            failed.push((off, e));
            off += 1;
        } else {
            off += r as usize;
            sent += r as usize;
        }
    }
    sent
}

/// The source address the kernel would use towards `dst` (a connected UDP socket's name).
fn route_source(udp: i32, dst: u32) -> Result<u32, i32> {
    unsafe {
        let addr = sockaddr_in { sin_family: AF_INET as u16, sin_port: 9u16.to_be(), sin_addr: dst.to_be(), sin_zero: [0; 8] };
        if connect(udp, &addr as *const sockaddr_in as *const c_void, size_of::<sockaddr_in>() as u32) < 0 {
            return Err(errno());
        }
        let mut out: sockaddr_in = zeroed();
        let mut len = size_of::<sockaddr_in>() as u32;
        if getsockname(udp, &mut out as *mut sockaddr_in as *mut c_void, &mut len) < 0 {
            return Err(errno());
        }
        Ok(u32::from_be(out.sin_addr))
    }
}

fn push_result(out: &mut Vec<u8>, addr: u32, port: u16, status: u8, ttl: u8, err: u32) {
    out.extend_from_slice(&addr.to_be_bytes());
    out.extend_from_slice(&port.to_be_bytes());
    out.push(status);
    out.push(ttl);
    out.extend_from_slice(&err.to_be_bytes());
}

/// Spaces the SYNs out at `rate` packets per second, in `sendmmsg` batches of about half a
/// millisecond each: the scan loop hands over probes in bursts, the wire sees an even rate.
/// Packet k is due at start + k / rate. A sender behind its schedule (descheduled on a busy
/// machine, or briefly waiting for the scan loop) catches up, by at most `MAX_DEBT` of packets;
/// after a longer wait for probes it starts a new schedule (no burst for the idle time).
struct Pacer {
    rate: f64,
    /// When the next packet is due (None until the first probes).
    next: Option<Instant>,
    /// Since when the queue has been empty, if it ran dry.
    idle_since: Option<Instant>,
}

/// How far behind its schedule a sender may catch up (at the device's own pace): one sharing
/// two cores with the scan loop and the receiver falls 20–40 ms behind now and then (measured at
/// 100,000 packets/s); 100 ms of catch-up keeps its average at the rate.
const MAX_DEBT: Duration = Duration::from_millis(100);

impl Pacer {
    fn new(rate: f64) -> Pacer {
        Pacer { rate, next: None, idle_since: None }
    }

    /// Packets per `sendmmsg` call.
    fn chunk(&self) -> usize {
        if self.rate <= 0.0 {
            BATCH
        } else {
            ((self.rate / 2000.0) as usize).clamp(1, BATCH)
        }
    }

    /// Waits until `n` more packets may leave.
    fn wait(&mut self, n: usize) {
        if self.rate <= 0.0 {
            return;
        }
        let now = Instant::now();
        let mut next = match (self.next, self.idle_since.take()) {
            (None, _) => now,
            (Some(_), Some(since)) if now - since > MAX_DEBT => now,
            (Some(next), _) => next,
        };
        if next > now {
            std::thread::sleep(next - now);
        } else if now - next > MAX_DEBT {
            next = now - MAX_DEBT;
        }
        self.next = Some(next + Duration::from_secs_f64(n as f64 / self.rate));
    }
}

fn sender(raw: Arc<Fd>, cookies: Cookies, rate: f64, rx: Receiver<Vec<u8>>, shared: Arc<Shared>) {
    let mut pacer = Pacer::new(rate);
    let chunk_size = pacer.chunk();
    let udp = Fd(unsafe { socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) });
    // Source address per destination /24: one route lookup for a block, not one per probe.
    let mut sources: HashMap<u32, Result<u32, i32>> = HashMap::new();
    let mut bufs = vec![[0u8; PACKET_BYTES]; BATCH];
    let mut addrs = vec![unsafe { zeroed::<sockaddr_in>() }; BATCH];
    let mut meta: Vec<(u32, u16)> = Vec::with_capacity(BATCH);
    let mut failed = Vec::new();
    let mut local = Vec::new();
    loop {
        let probes = match rx.try_recv() {
            Ok(p) => p,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                pacer.idle_since = Some(Instant::now());
                match rx.recv() {
                    Ok(p) => p,
                    Err(_) => break,
                }
            }
        };
        for chunk in probes.chunks(PROBE_BYTES * chunk_size) {
            meta.clear();
            failed.clear();
            local.clear();
            let mut n = 0;
            for p in chunk.chunks_exact(PROBE_BYTES) {
                let dst = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
                let dport = u16::from_be_bytes([p[4], p[5]]);
                let src = *sources.entry(dst & 0xffff_ff00).or_insert_with(|| route_source(udp.0, dst));
                let src = match src {
                    Ok(s) => s,
                    Err(e) => {
                        push_result(&mut local, dst, dport, STATUS_LOCAL_ERROR, 0, e as u32);
                        continue;
                    }
                };
                let (sport, seq) = cookies.probe(src, dst, dport);
                build_packet(&mut bufs[n], src, dst, sport, dport, seq, 0x02);
                addrs[n] = sockaddr_in { sin_family: AF_INET as u16, sin_port: 0, sin_addr: dst.to_be(), sin_zero: [0; 8] };
                meta.push((dst, dport));
                n += 1;
            }
            pacer.wait(n);
            let sent = send_batch(raw.0, &mut bufs, &mut addrs, n, &mut failed);
            if sent > 0 {
                let at = shared.started.elapsed().as_nanos() as u64;
                let c = &shared.counters;
                let _ = c.first_send_ns.compare_exchange(0, at, Ordering::Relaxed, Ordering::Relaxed);
                c.last_send_ns.store(at, Ordering::Relaxed);
            }
            shared.counters.sent.fetch_add(sent as u64, Ordering::Relaxed);
            for &(i, e) in &failed {
                let (dst, dport) = meta[i];
                push_result(&mut local, dst, dport, STATUS_LOCAL_ERROR, 0, e as u32);
            }
            if !local.is_empty() {
                shared.counters.send_errors.fetch_add((local.len() / RESULT_BYTES) as u64, Ordering::Relaxed);
                shared.results.lock().unwrap().extend_from_slice(&local);
            }
        }
    }
}

/// Classic BPF: IPv4 TCP, not a fragment, destination port in [first, last]; 128 bytes kept.
fn attach_filter(fd: i32, first: u16, last: u16) -> i32 {
    let prog = [
        sock_filter { code: 0x30, jt: 0, jf: 0, k: 9 },           // ldb [9]          protocol
        sock_filter { code: 0x15, jt: 0, jf: 7, k: 6 },           // jeq #tcp
        sock_filter { code: 0x28, jt: 0, jf: 0, k: 6 },           // ldh [6]          flags+frag
        sock_filter { code: 0x45, jt: 5, jf: 0, k: 0x1fff },      // jset #offset     → drop
        sock_filter { code: 0xb1, jt: 0, jf: 0, k: 0 },           // ldxb 4*([0]&0xf) header length
        sock_filter { code: 0x48, jt: 0, jf: 0, k: 2 },           // ldh [x+2]        dport
        sock_filter { code: 0x35, jt: 0, jf: 2, k: first as u32 },// jge #first
        sock_filter { code: 0x25, jt: 1, jf: 0, k: last as u32 }, // jgt #last        → drop
        sock_filter { code: 0x06, jt: 0, jf: 0, k: 128 },         // ret #128         accept
        sock_filter { code: 0x06, jt: 0, jf: 0, k: 0 },           // ret #0           drop
    ];
    let fprog = sock_fprog { len: prog.len() as u16, filter: prog.as_ptr() };
    unsafe { setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog as *const sock_fprog as *const c_void, size_of::<sock_fprog>() as u32) }
}

fn receiver(pkt: Fd, raw: Arc<Fd>, cookies: Cookies, shared: Arc<Shared>) {
    const N: usize = 64;
    const SNAP: usize = 128;
    let mut bufs = vec![[0u8; SNAP]; N];
    let mut names: Vec<sockaddr_ll> = vec![unsafe { zeroed() }; N];
    let mut iov: Vec<iovec> = vec![unsafe { zeroed() }; N];
    let mut msgs: Vec<mmsghdr> = vec![unsafe { zeroed() }; N];
    let mut out = Vec::with_capacity(N * RESULT_BYTES);
    let mut rst_bufs = vec![[0u8; PACKET_BYTES]; BATCH];
    let mut rst_addrs = vec![unsafe { zeroed::<sockaddr_in>() }; BATCH];
    let mut failed = Vec::new();
    loop {
        let mut pfd = pollfd { fd: pkt.0, events: POLLIN, revents: 0 };
        let ready = unsafe { poll(&mut pfd, 1, 20) };
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
        if ready <= 0 {
            continue;
        }
        loop {
            for i in 0..N {
                iov[i] = iovec { iov_base: bufs[i].as_mut_ptr() as *mut c_void, iov_len: SNAP };
                msgs[i].msg_hdr.msg_name = &mut names[i] as *mut sockaddr_ll as *mut c_void;
                msgs[i].msg_hdr.msg_namelen = size_of::<sockaddr_ll>() as u32;
                msgs[i].msg_hdr.msg_iov = &mut iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
                msgs[i].msg_hdr.msg_flags = 0;
            }
            let got = unsafe { recvmmsg(pkt.0, msgs.as_mut_ptr(), N as u32, MSG_DONTWAIT, std::ptr::null_mut()) };
            if got <= 0 {
                break;
            }
            shared.counters.received.fetch_add(got as u64, Ordering::Relaxed);
            out.clear();
            let mut rsts = 0;
            for i in 0..got as usize {
                // Our own packets leaving (seen on loopback and on the way out) are not replies.
                if names[i].sll_pkttype == PACKET_OUTGOING {
                    continue;
                }
                let len = (msgs[i].msg_len as usize).min(SNAP);
                let p = &bufs[i][..len];
                if len < 20 || p[0] >> 4 != 4 || p[9] != IPPROTO_TCP as u8 {
                    continue;
                }
                let ihl = ((p[0] & 0x0f) as usize) * 4;
                if len < ihl + 20 {
                    continue;
                }
                let ttl = p[8];
                let their = u32::from_be_bytes([p[12], p[13], p[14], p[15]]);
                let our = u32::from_be_bytes([p[16], p[17], p[18], p[19]]);
                let t = &p[ihl..];
                let their_port = u16::from_be_bytes([t[0], t[1]]);
                let our_port = u16::from_be_bytes([t[2], t[3]]);
                let their_seq = u32::from_be_bytes([t[4], t[5], t[6], t[7]]);
                let ack = u32::from_be_bytes([t[8], t[9], t[10], t[11]]);
                let flags = t[13];
                let syn_ack = flags & 0x12 == 0x12;
                let rst = flags & 0x04 != 0;
                if !syn_ack && !rst {
                    continue;
                }
                if our_port < cookies.first || our_port > cookies.last || !cookies.verify(our, our_port, their, their_port, ack) {
                    continue;
                }
                shared.counters.matched.fetch_add(1, Ordering::Relaxed);
                push_result(&mut out, their, their_port, if syn_ack { STATUS_OPEN } else { STATUS_CLOSED }, ttl, 0);
                if syn_ack && rsts < BATCH {
                    // End the half-open connection, as masscan does, so the target frees it.
                    let _ = their_seq;
                    build_packet(&mut rst_bufs[rsts], our, their, our_port, their_port, ack, 0x04);
                    rst_addrs[rsts] = sockaddr_in { sin_family: AF_INET as u16, sin_port: 0, sin_addr: their.to_be(), sin_zero: [0; 8] };
                    rsts += 1;
                }
            }
            if !out.is_empty() {
                shared.results.lock().unwrap().extend_from_slice(&out);
            }
            if rsts > 0 {
                failed.clear();
                let n = send_batch(raw.0, &mut rst_bufs, &mut rst_addrs, rsts, &mut failed);
                shared.counters.rsts_sent.fetch_add(n as u64, Ordering::Relaxed);
            }
            if (got as usize) < N {
                break;
            }
        }
    }
    let mut stats = tpacket_stats::default();
    let mut len = size_of::<tpacket_stats>() as u32;
    if unsafe { getsockopt(pkt.0, SOL_PACKET, PACKET_STATISTICS, &mut stats as *mut tpacket_stats as *mut c_void, &mut len) } == 0 {
        shared.kernel_drops.fetch_add(stats.tp_drops as u64, Ordering::Relaxed);
    }
}

/// Statistics of a running engine.
pub struct Stats {
    pub sent: u64,
    pub send_errors: u64,
    pub received: u64,
    pub matched: u64,
    pub rsts_sent: u64,
    pub kernel_drops: u64,
    /// Milliseconds between the first and the latest SYN batch (the wire time of `sent`).
    pub send_span_ms: f64,
}

impl Engine {
    /// Opens both sockets (so no reply is missed) and starts the threads.
    /// `rate`: SYNs per second the sender paces to (0: as fast as the device takes them).
    pub fn open(cookies: Cookies, recv_buffer: i32, rate: f64) -> Result<Engine, String> {
        let raw = Fd(unsafe { socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW) });
        if raw.0 < 0 {
            let e = errno();
            return Err(format!("raw IPv4 socket: {} (errno {e}; needs CAP_NET_RAW)", strerror(e)));
        }
        if set_int(raw.0, IPPROTO_IP, IP_HDRINCL, 1) < 0 {
            let e = errno();
            return Err(format!("IP_HDRINCL: {}", strerror(e)));
        }
        if set_int(raw.0, SOL_SOCKET, SO_SNDBUFFORCE, 4 << 20) < 0 {
            set_int(raw.0, SOL_SOCKET, SO_SNDBUF, 4 << 20);
        }
        let pkt = Fd(unsafe { socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, (ETH_P_IP as u16).to_be() as i32) });
        if pkt.0 < 0 {
            let e = errno();
            return Err(format!("AF_PACKET socket: {} (errno {e}; needs CAP_NET_RAW)", strerror(e)));
        }
        if attach_filter(pkt.0, cookies.first, cookies.last) < 0 {
            let e = errno();
            return Err(format!("attaching the BPF filter: {}", strerror(e)));
        }
        if set_int(pkt.0, SOL_SOCKET, SO_RCVBUFFORCE, recv_buffer) < 0 {
            set_int(pkt.0, SOL_SOCKET, SO_RCVBUF, recv_buffer);
        }
        let shared = Arc::new(Shared {
            started: Instant::now(),
            stop: AtomicBool::new(false),
            results: Mutex::new(Vec::new()),
            counters: Counters::default(),
            kernel_drops: AtomicU64::new(0),
        });
        let raw = Arc::new(raw);
        let (tx, rx) = channel::<Vec<u8>>();
        let mut threads = Vec::new();
        {
            let (raw, shared) = (raw.clone(), shared.clone());
            threads.push(
                std::thread::Builder::new()
                    .name("raw-scan-recv".into())
                    .spawn(move || receiver(pkt, raw, cookies, shared))
                    .map_err(|e| e.to_string())?,
            );
        }
        {
            let shared = shared.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("raw-scan-send".into())
                    .spawn(move || sender(raw, cookies, rate, rx, shared))
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(Engine { tx: Some(tx), shared, threads })
    }

    pub fn send(&self, probes: Vec<u8>) -> bool {
        match &self.tx {
            Some(tx) => tx.send(probes).is_ok(),
            None => false,
        }
    }

    pub fn take_results(&self) -> Vec<u8> {
        std::mem::take(&mut *self.shared.results.lock().unwrap())
    }

    pub fn stats(&self) -> Stats {
        let c = &self.shared.counters;
        Stats {
            sent: c.sent.load(Ordering::Relaxed),
            send_errors: c.send_errors.load(Ordering::Relaxed),
            received: c.received.load(Ordering::Relaxed),
            matched: c.matched.load(Ordering::Relaxed),
            rsts_sent: c.rsts_sent.load(Ordering::Relaxed),
            kernel_drops: self.shared.kernel_drops.load(Ordering::Relaxed),
            send_span_ms: (c.last_send_ns.load(Ordering::Relaxed) - c.first_send_ns.load(Ordering::Relaxed).min(c.last_send_ns.load(Ordering::Relaxed))) as f64 / 1e6,
        }
    }

    /// Stops both threads after the sender drained what it was given; idempotent.
    pub fn close(&mut self) {
        self.tx.take();
        if let Some(sender) = self.threads.pop() {
            let _ = sender.join();
        }
        self.shared.stop.store(true, Ordering::Release);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0
    }

    #[test]
    fn pacer_spaces_packets_at_the_rate() {
        // 10,000 packets/s in chunks of 10: one chunk per millisecond, 30 chunks ≈ 29 ms.
        let mut p = Pacer::new(10_000.0);
        let t0 = Instant::now();
        for _ in 0..30 {
            p.wait(10);
        }
        let took = ms(t0.elapsed());
        assert!(took >= 28.5, "30 chunks took {took} ms, less than the rate allows");
        assert!(took < 200.0, "30 chunks took {took} ms");
    }

    #[test]
    fn pacer_catches_up_a_lag_of_at_most_100_ms() {
        let mut p = Pacer::new(10_000.0);
        p.wait(10);
        // Descheduled for 40 ms with probes waiting: the schedule keeps its debt.
        let now = Instant::now();
        p.next = Some(now - Duration::from_millis(40));
        p.wait(10);
        let debt = ms(now - p.next.unwrap());
        assert!(debt > 38.0 && debt < 40.0, "debt {debt} ms after one chunk of a 40 ms lag");
        // 2 s behind: only 100 ms of it is caught up.
        let now = Instant::now();
        p.next = Some(now - Duration::from_secs(2));
        p.wait(10);
        let debt = ms(now - p.next.unwrap());
        assert!(debt > 98.0 && debt <= 100.0, "debt {debt} ms after a 2 s lag");
    }

    #[test]
    fn pacer_starts_a_new_schedule_after_a_long_idle_but_not_after_a_short_one() {
        let mut p = Pacer::new(10_000.0);
        p.wait(10);
        let now = Instant::now();
        // Waited 300 ms for probes: no burst for the idle time.
        p.next = Some(now - Duration::from_millis(300));
        p.idle_since = Some(now - Duration::from_millis(300));
        p.wait(10);
        let ahead = ms(p.next.unwrap().saturating_duration_since(now));
        assert!(ahead >= 0.9, "after a long idle the next chunk is due ≈ 1 ms from now, got {ahead}");
        // Waited 30 ms (the scan loop was briefly busy): that lag is caught up.
        let now = Instant::now();
        p.next = Some(now - Duration::from_millis(30));
        p.idle_since = Some(now - Duration::from_millis(30));
        p.wait(10);
        let debt = ms(now - p.next.unwrap());
        assert!(debt > 28.0 && debt < 30.0, "debt {debt} ms after a 30 ms idle");
        assert!(p.idle_since.is_none());
    }

    #[test]
    fn unpaced_never_waits() {
        let mut p = Pacer::new(0.0);
        assert_eq!(p.chunk(), BATCH);
        let t0 = Instant::now();
        for _ in 0..1000 {
            p.wait(BATCH);
        }
        assert!(ms(t0.elapsed()) < 50.0);
        assert!(p.next.is_none());
    }

    #[test]
    fn syn_packet_checksums_verify() {
        let mut buf = [0u8; PACKET_BYTES];
        build_packet(&mut buf, 0x0a4d0001, 0x0a4e0102, 40001, 80, 0xdeadbeef, 0x02);
        // A correct checksum makes the one's-complement sum over the header (or the pseudo-header
        // plus segment) come out as zero.
        assert_eq!(checksum(&buf[0..20], 0), 0);
        let pseudo = (0x0a4du32) + 0x0001 + 0x0a4e + 0x0102 + 6 + 20;
        assert_eq!(checksum(&buf[20..40], pseudo), 0);
        assert_eq!(u16::from_be_bytes([buf[22], buf[23]]), 80);
        assert_eq!(u32::from_be_bytes([buf[24], buf[25], buf[26], buf[27]]), 0xdeadbeef);
        assert_eq!(buf[33], 0x02);
    }
}
