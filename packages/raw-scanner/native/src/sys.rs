//! The libc surface this crate uses, declared by hand (Linux, 64-bit glibc/musl layouts).
//!
//! Why not the `libc` crate: crates.io is not reachable where this is built, and Debian's
//! `librust-libc-dev` would make a system package a build prerequisite of an npm package. The
//! surface is twenty-odd symbols and five structs whose layouts are fixed by the Linux ABI on
//! the 64-bit targets this addon is built for (x86_64, aarch64); `lib.rs` refuses to compile
//! elsewhere rather than guess a layout.
#![allow(non_camel_case_types, dead_code)]

use std::os::raw::{c_int, c_long, c_uint, c_void};

pub type socklen_t = u32;
pub type ssize_t = isize;

pub const AF_INET: c_int = 2;
pub const AF_PACKET: c_int = 17;
pub const SOCK_DGRAM: c_int = 2;
pub const SOCK_RAW: c_int = 3;
pub const SOCK_CLOEXEC: c_int = 0o2000000;
pub const SOCK_NONBLOCK: c_int = 0o4000;
pub const IPPROTO_IP: c_int = 0;
pub const IPPROTO_TCP: c_int = 6;
pub const IPPROTO_RAW: c_int = 255;
pub const IP_HDRINCL: c_int = 3;
pub const SOL_SOCKET: c_int = 1;
pub const SO_SNDBUF: c_int = 7;
pub const SO_RCVBUF: c_int = 8;
pub const SO_SNDBUFFORCE: c_int = 32;
pub const SO_RCVBUFFORCE: c_int = 33;
pub const SO_ATTACH_FILTER: c_int = 26;
pub const SOL_PACKET: c_int = 263;
pub const PACKET_STATISTICS: c_int = 6;
pub const ETH_P_IP: u16 = 0x0800;
pub const PACKET_OUTGOING: u8 = 4;
pub const MSG_DONTWAIT: c_int = 0x40;
pub const POLLIN: i16 = 1;
pub const EAGAIN: c_int = 11;
pub const EINTR: c_int = 4;
pub const ENOBUFS: c_int = 105;

#[repr(C)]
#[derive(Copy, Clone)]
pub struct sockaddr_in {
    pub sin_family: u16,
    pub sin_port: u16,
    pub sin_addr: u32,
    pub sin_zero: [u8; 8],
}

#[repr(C)]
#[derive(Copy, Clone)]
pub struct sockaddr_ll {
    pub sll_family: u16,
    pub sll_protocol: u16,
    pub sll_ifindex: c_int,
    pub sll_hatype: u16,
    pub sll_pkttype: u8,
    pub sll_halen: u8,
    pub sll_addr: [u8; 8],
}

#[repr(C)]
#[derive(Copy, Clone)]
pub struct iovec {
    pub iov_base: *mut c_void,
    pub iov_len: usize,
}

#[repr(C)]
#[derive(Copy, Clone)]
pub struct msghdr {
    pub msg_name: *mut c_void,
    pub msg_namelen: socklen_t,
    pub msg_iov: *mut iovec,
    pub msg_iovlen: usize,
    pub msg_control: *mut c_void,
    pub msg_controllen: usize,
    pub msg_flags: c_int,
}

#[repr(C)]
#[derive(Copy, Clone)]
pub struct mmsghdr {
    pub msg_hdr: msghdr,
    pub msg_len: c_uint,
}

#[repr(C)]
pub struct pollfd {
    pub fd: c_int,
    pub events: i16,
    pub revents: i16,
}

#[repr(C)]
pub struct timespec {
    pub tv_sec: c_long,
    pub tv_nsec: c_long,
}

#[repr(C)]
pub struct sock_filter {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

#[repr(C)]
pub struct sock_fprog {
    pub len: u16,
    pub filter: *const sock_filter,
}

#[repr(C)]
#[derive(Default)]
pub struct tpacket_stats {
    pub tp_packets: c_uint,
    pub tp_drops: c_uint,
}

extern "C" {
    pub fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int;
    pub fn close(fd: c_int) -> c_int;
    pub fn setsockopt(fd: c_int, level: c_int, name: c_int, value: *const c_void, len: socklen_t) -> c_int;
    pub fn getsockopt(fd: c_int, level: c_int, name: c_int, value: *mut c_void, len: *mut socklen_t) -> c_int;
    pub fn connect(fd: c_int, addr: *const c_void, len: socklen_t) -> c_int;
    pub fn getsockname(fd: c_int, addr: *mut c_void, len: *mut socklen_t) -> c_int;
    pub fn sendmmsg(fd: c_int, msgs: *mut mmsghdr, vlen: c_uint, flags: c_int) -> c_int;
    pub fn recvmmsg(fd: c_int, msgs: *mut mmsghdr, vlen: c_uint, flags: c_int, timeout: *mut timespec) -> c_int;
    pub fn poll(fds: *mut pollfd, nfds: u64, timeout: c_int) -> c_int;
    pub fn __errno_location() -> *mut c_int;
    pub fn strerror_r(errnum: c_int, buf: *mut u8, len: usize) -> c_int;
}

pub fn errno() -> c_int {
    unsafe { *__errno_location() }
}

/// The OS's text for an errno value ("Operation not permitted").
pub fn strerror(code: c_int) -> String {
    let text = std::io::Error::from_raw_os_error(code).to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A file descriptor closed on drop.
pub struct Fd(pub c_int);
impl Drop for Fd {
    fn drop(&mut self) {
        if self.0 >= 0 {
            unsafe { close(self.0) };
        }
    }
}

pub fn set_int(fd: c_int, level: c_int, name: c_int, value: c_int) -> c_int {
    unsafe {
        setsockopt(fd, level, name, &value as *const c_int as *const c_void, 4)
    }
}
