//! SipHash-2-4 SYN cookies and the blackrock permutation, bit for bit the same as the
//! TypeScript core (src/core/cookies.ts, src/core/blackrock.ts); test/native.test.ts checks
//! shared vectors against both.

#[inline(always)]
fn sipround(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13);
    v[1] ^= v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16);
    v[3] ^= v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21);
    v[3] ^= v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17);
    v[1] ^= v[2];
    v[2] = v[2].rotate_left(32);
}

/// SipHash-2-4 of `data` under the key (k0 = bytes 0–7 little-endian, k1 = bytes 8–15).
pub fn siphash24(k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut v = [
        k0 ^ 0x736f6d6570736575,
        k1 ^ 0x646f72616e646f6d,
        k0 ^ 0x6c7967656e657261,
        k1 ^ 0x7465646279746573,
    ];
    let full = data.len() / 8 * 8;
    let mut i = 0;
    while i < full {
        let m = u64::from_le_bytes(data[i..i + 8].try_into().unwrap());
        v[3] ^= m;
        sipround(&mut v);
        sipround(&mut v);
        v[0] ^= m;
        i += 8;
    }
    let mut last = (data.len() as u64 & 0xff) << 56;
    for (j, b) in data[full..].iter().enumerate() {
        last |= (*b as u64) << (8 * j);
    }
    v[3] ^= last;
    sipround(&mut v);
    sipround(&mut v);
    v[0] ^= last;
    v[2] ^= 0xff;
    for _ in 0..4 {
        sipround(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// The scan's cookie secret and source-port range.
#[derive(Clone, Copy)]
pub struct Cookies {
    k0: u64,
    k1: u64,
    pub first: u16,
    pub last: u16,
}

impl Cookies {
    pub fn new(secret: &[u8; 16], first: u16, last: u16) -> Cookies {
        Cookies {
            k0: u64::from_le_bytes(secret[0..8].try_into().unwrap()),
            k1: u64::from_le_bytes(secret[8..16].try_into().unwrap()),
            first,
            last,
        }
    }

    /// Source port and initial sequence number of the probe `src → dst:dport`: SipHash over
    /// (src, first source port, dst, dport), big-endian, as the TypeScript `SynCookies.probe`.
    #[inline]
    pub fn probe(&self, src: u32, dst: u32, dport: u16) -> (u16, u32) {
        let mut m = [0u8; 12];
        m[0..4].copy_from_slice(&src.to_be_bytes());
        m[4..6].copy_from_slice(&self.first.to_be_bytes());
        m[6..10].copy_from_slice(&dst.to_be_bytes());
        m[10..12].copy_from_slice(&dport.to_be_bytes());
        let h = siphash24(self.k0, self.k1, &m);
        let mask = (self.last - self.first) as u32;
        let port = self.first as u32 + (((h >> 32) as u32) & mask);
        (port as u16, h as u32)
    }

    /// Whether a reply to `our:our_port` from `their:their_port` acknowledging `ack` answers
    /// one of our probes.
    #[inline]
    pub fn verify(&self, our: u32, our_port: u16, their: u32, their_port: u16, ack: u32) -> bool {
        let (port, seq) = self.probe(our, their, their_port);
        port == our_port && seq.wrapping_add(1) == ack
    }
}

/// The number path (ranges up to 2^53) of the TypeScript `Blackrock`.
pub struct Blackrock {
    range: u64,
    a: u64,
    b: u64,
    rounds: u32,
    keys: Vec<u32>,
}

fn isqrt(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let mut x = (n as f64).sqrt() as u64;
    while x.checked_mul(x).map_or(true, |s| s > n) {
        x -= 1;
    }
    while (x + 1).checked_mul(x + 1).map_or(false, |s| s <= n) {
        x += 1;
    }
    x
}

impl Blackrock {
    /// Whether every Feistel output (below a·b) stays within 2^53, as on the TypeScript number path.
    pub fn fits_number_path(range: u64) -> bool {
        let a = isqrt(range).max(1);
        let b = (range + a - 1) / a;
        (a as u128) * (b as u128) <= 9_007_199_254_740_991
    }

    pub fn new(range: u64, seed: u64, rounds: u32) -> Blackrock {
        let mut a = isqrt(range);
        if a < 1 {
            a = 1;
        }
        let b = (range + a - 1) / a;
        let mut state = seed;
        let mut keys = Vec::with_capacity(rounds as usize * 2);
        for _ in 0..rounds {
            state = state.wrapping_add(0x9e3779b97f4a7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
            z ^= z >> 31;
            keys.push((z >> 32) as u32);
            keys.push(z as u32);
        }
        Blackrock { range, a, b, rounds, keys }
    }

    #[inline]
    fn round(&self, j: usize, r: u64) -> u64 {
        let mut h = (r as u32) ^ self.keys[j * 2];
        h = (h ^ (h >> 16)).wrapping_mul(0x85ebca6b);
        h = (h ^ (h >> 13) ^ self.keys[j * 2 + 1]).wrapping_mul(0xc2b2ae35);
        ((h ^ (h >> 16)) & 0x7fff_ffff) as u64
    }

    fn encrypt(&self, m: u64) -> u64 {
        let (a, b) = (self.a, self.b);
        let mut left = m % a;
        let mut right = m / a;
        for j in 0..self.rounds as usize {
            let modulus = if j & 1 == 0 { a } else { b };
            let mut tmp = left + self.round(j, right) % modulus;
            if tmp >= modulus {
                tmp -= modulus;
            }
            left = right;
            right = tmp;
        }
        if self.rounds & 1 == 1 {
            a * left + right
        } else {
            a * right + left
        }
    }

    pub fn shuffle(&self, index: u64) -> u64 {
        let mut c = self.encrypt(index);
        while c >= self.range {
            c = self.encrypt(c);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siphash_reference_vector() {
        // The SipHash paper's vector: key 00..0f, message 00..0e → a129ca6149be45e5.
        let key: Vec<u8> = (0u8..16).collect();
        let msg: Vec<u8> = (0u8..15).collect();
        let k0 = u64::from_le_bytes(key[0..8].try_into().unwrap());
        let k1 = u64::from_le_bytes(key[8..16].try_into().unwrap());
        assert_eq!(siphash24(k0, k1, &msg), 0xa129ca6149be45e5);
    }

    #[test]
    fn blackrock_is_a_permutation() {
        let br = Blackrock::new(1000, 42, 4);
        let mut seen = vec![false; 1000];
        for i in 0..1000 {
            let x = br.shuffle(i) as usize;
            assert!(!seen[x]);
            seen[x] = true;
        }
    }
}
