//! Measures the two ways to send SYNs: a raw IPv4 socket with IP_HDRINCL (what the addon uses)
//! and an AF_PACKET SOCK_DGRAM socket (the kernel adds the Ethernet header; we supply the next
//! hop's MAC), both with sendmmsg in batches of 256, same packets.
//! Usage (root, in a namespace): send_bench <ifname> <next-hop-mac> <src-ip> <dst-net-ip> <count>
#[allow(dead_code)]
#[path = "../src/sys.rs"]
mod sys;
use std::ffi::{c_void, CString};
use std::mem::{size_of, zeroed};
use sys::*;

extern "C" {
    fn if_nametoindex(name: *const i8) -> u32;
}

fn csum(data: &[u8], init: u32) -> u16 {
    let mut s = init;
    for c in data.chunks(2) {
        s += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
    }
    while s >> 16 != 0 {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

fn packet(src: u32, dst: u32, sport: u16) -> [u8; 40] {
    let mut b = [0u8; 40];
    b[0] = 0x45;
    b[2..4].copy_from_slice(&40u16.to_be_bytes());
    b[8] = 64;
    b[9] = 6;
    b[12..16].copy_from_slice(&src.to_be_bytes());
    b[16..20].copy_from_slice(&dst.to_be_bytes());
    let ip = csum(&b[0..20], 0);
    b[10..12].copy_from_slice(&ip.to_be_bytes());
    b[20..22].copy_from_slice(&sport.to_be_bytes());
    b[22..24].copy_from_slice(&80u16.to_be_bytes());
    b[32] = 0x50;
    b[33] = 0x02;
    b[34..36].copy_from_slice(&1024u16.to_be_bytes());
    let p = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + 20;
    let t = csum(&b[20..40], p);
    b[36..38].copy_from_slice(&t.to_be_bytes());
    b
}

fn run(fd: i32, name: *mut c_void, namelen: u32, set_dst: &dyn Fn(*mut c_void, u32), src: u32, base: u32, count: usize) -> f64 {
    const N: usize = 256;
    let mut bufs = vec![[0u8; 40]; N];
    let mut names: Vec<[u8; 32]> = vec![[0u8; 32]; N];
    let mut iov: Vec<iovec> = vec![unsafe { zeroed() }; N];
    let mut msgs: Vec<mmsghdr> = vec![unsafe { zeroed() }; N];
    let t0 = std::time::Instant::now();
    let mut sent = 0usize;
    while sent < count {
        let n = N.min(count - sent);
        for i in 0..n {
            let dst = base + ((sent + i) as u32 & 0xffff);
            bufs[i] = packet(src, dst, 40000 + (i as u16 & 1023));
            unsafe { std::ptr::copy_nonoverlapping(name as *const u8, names[i].as_mut_ptr(), namelen as usize) };
            set_dst(names[i].as_mut_ptr() as *mut c_void, dst);
            iov[i] = iovec { iov_base: bufs[i].as_mut_ptr() as *mut c_void, iov_len: 40 };
            msgs[i].msg_hdr.msg_name = names[i].as_mut_ptr() as *mut c_void;
            msgs[i].msg_hdr.msg_namelen = namelen;
            msgs[i].msg_hdr.msg_iov = &mut iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        let mut off = 0;
        while off < n {
            let r = unsafe { sendmmsg(fd, msgs.as_mut_ptr().add(off), (n - off) as u32, 0) };
            if r < 0 {
                let e = errno();
                if e == ENOBUFS || e == EAGAIN || e == EINTR {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                    continue;
                }
                panic!("sendmmsg: {}", strerror(e));
            }
            off += r as usize;
        }
        sent += n;
    }
    count as f64 / t0.elapsed().as_secs_f64()
}

fn ip(s: &str) -> u32 {
    s.split('.').fold(0u32, |a, p| (a << 8) | p.parse::<u32>().unwrap())
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let ifname = CString::new(a[1].clone()).unwrap();
    let mac: Vec<u8> = a[2].split(':').map(|h| u8::from_str_radix(h, 16).unwrap()).collect();
    let (src, base, count) = (ip(&a[3]), ip(&a[4]), a[5].parse::<usize>().unwrap());
    unsafe {
        let raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
        set_int(raw, IPPROTO_IP, IP_HDRINCL, 1);
        let mut sin: sockaddr_in = zeroed();
        sin.sin_family = AF_INET as u16;
        let raw_pps = run(raw, &mut sin as *mut _ as *mut c_void, size_of::<sockaddr_in>() as u32,
            &|p, dst| (*(p as *mut sockaddr_in)).sin_addr = dst.to_be(), src, base, count);
        let pkt = socket(AF_PACKET, SOCK_DGRAM, (ETH_P_IP as u16).to_be() as i32);
        let mut sll: sockaddr_ll = zeroed();
        sll.sll_family = AF_PACKET as u16;
        sll.sll_protocol = (ETH_P_IP as u16).to_be();
        sll.sll_ifindex = if_nametoindex(ifname.as_ptr()) as i32;
        sll.sll_halen = 6;
        sll.sll_addr[..6].copy_from_slice(&mac);
        let pkt_pps = run(pkt, &mut sll as *mut _ as *mut c_void, size_of::<sockaddr_ll>() as u32, &|_, _| {}, src, base, count);
        println!("{{\"rawIpHdrincl\":{raw_pps:.0},\"afPacket\":{pkt_pps:.0}}}");
    }
}
