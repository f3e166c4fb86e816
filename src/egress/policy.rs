//! Which addresses an HTTP step may connect to. Switchyard runs inside someone's network: a
//! step's URL must not reach that network, the machine itself or the cloud's metadata service.
//! Loopback, private, link-local, shared (CGNAT), multicast, reserved and documentation
//! ranges are refused, and so is every IPv6 form that carries an IPv4 address (mapped, NAT64,
//! 6to4, Teredo), whatever that address is. An operator may allow named hosts or ranges for an
//! internal service (`SWITCHYARD_EGRESS_ALLOW`); the metadata ranges stay refused even then.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, in words; `None` for an address on the public internet.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let why = match (a, b, c) {
        _ if metadata(IpAddr::V4(ip)) => "is the cloud's metadata service",
        (0, _, _) => "is not an address to connect to",
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => "is in a private network",
        (100, 64..=127, _) => "is in a carrier's shared network",
        (127, _, _) => "is this machine",
        (169, 254, _) => "is a link-local address",
        (192, 0, 0) => "is reserved for protocols",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "is reserved for documentation",
        (198, 18..=19, _) => "is reserved for benchmarks",
        (224..=239, _, _) => "is a multicast address",
        (240..=255, _, _) => "is reserved",
        _ => return None,
    };
    Some(why)
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let why = match s {
        _ if metadata(IpAddr::V6(ip)) => "is the cloud's metadata service",
        [0, 0, 0, 0, 0, 0, 0, 0] => "is not an address to connect to",
        [0, 0, 0, 0, 0, 0, 0, 1] => "is this machine",
        // ::ffff:a.b.c.d, and the old ::a.b.c.d.
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => {
            "is an IPv4 address written as IPv6"
        }
        [0x64, 0xff9b, ..] => "is an IPv4 address behind NAT64",
        [0x2002, ..] => "is an IPv4 address in a 6to4 tunnel",
        [0x2001, 0, ..] => "is an IPv4 address in a Teredo tunnel",
        [0x2001, 0xdb8, ..] => "is reserved for documentation",
        [0x100, 0, 0, 0, ..] => "is reserved for discarding",
        [x, ..] if x & 0xfe00 == 0xfc00 => "is in a private network",
        [x, ..] if x & 0xffc0 == 0xfe80 => "is a link-local address",
        [x, ..] if x & 0xffc0 == 0xfec0 => "is a site-local address",
        [x, ..] if x & 0xff00 == 0xff00 => "is a multicast address",
        _ => return None,
    };
    Some(why)
}

/// The clouds' metadata services (AWS, GCP, Azure, Oracle: 169.254.169.254 and the rest of
/// 169.254.0.0/16; Alibaba: 100.100.100.200; AWS over IPv6: fd00:ec2::254), which an
/// operator's allow list cannot open.
fn metadata(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            (a, b) == (169, 254) || v4 == Ipv4Addr::new(100, 100, 100, 200)
        }
        IpAddr::V6(v6) => {
            v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| metadata(IpAddr::V4(v4)))
        }
    }
}

/// What the operator lets steps reach although the rules above refuse it: host names (exact,
/// any case) and ranges (`10.1.0.0/16`, `fd12::/48`, or one address).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowed {
    hosts: Vec<String>,
    ranges: Vec<(IpAddr, u8)>,
    /// Switchyard's own address and port, written out in a URL: the demo's endpoint.
    own: Vec<std::net::SocketAddr>,
}

impl Allowed {
    /// These allowances and Switchyard's own `addr` (its address and port exactly, written
    /// in the URL as an address): what the demo's HTTP step calls.
    pub fn with_own(mut self, addr: std::net::SocketAddr) -> Allowed {
        self.own.push(addr);
        self
    }

    /// Whether `ip:port` is Switchyard's own address, let through by `with_own`.
    pub fn is_own(&self, ip: IpAddr, port: Option<u16>) -> bool {
        self.own
            .iter()
            .any(|a| a.ip() == ip && Some(a.port()) == port && !metadata(ip))
    }

    /// Reads `SWITCHYARD_EGRESS_ALLOW`: entries separated by commas or spaces. A bad entry is
    /// an error that names it (the server does not start on a setting it cannot read).
    pub fn parse(text: &str) -> Result<Allowed, String> {
        let mut allowed = Allowed::default();
        for entry in text.split([',', ' ', '\n']).filter(|e| !e.is_empty()) {
            let (addr, prefix) = match entry.split_once('/') {
                Some((addr, prefix)) => (addr, Some(prefix)),
                None => (entry, None),
            };
            match addr.parse::<IpAddr>() {
                Ok(ip) => {
                    let full = if ip.is_ipv4() { 32 } else { 128 };
                    let prefix = match prefix {
                        None => full,
                        Some(p) => p
                            .parse::<u8>()
                            .ok()
                            .filter(|p| *p <= full)
                            .ok_or_else(|| format!("“{entry}” has no valid prefix length"))?,
                    };
                    allowed.ranges.push((ip, prefix));
                }
                Err(_) if prefix.is_none() && is_host_name(addr) => {
                    allowed.hosts.push(addr.to_ascii_lowercase());
                }
                Err(_) => return Err(format!("“{entry}” is neither a host name nor a range")),
            }
        }
        Ok(allowed)
    }

    /// Whether `ip`, reached as `host`, is let through although refused.
    fn lets(&self, host: &str, ip: IpAddr) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
            || self
                .ranges
                .iter()
                .any(|(net, prefix)| within(ip, *net, *prefix))
    }

    /// Why a step may not connect to `ip`, reached as `host`; `None` when it may.
    pub fn refuses(&self, host: &str, ip: IpAddr) -> Option<&'static str> {
        if metadata(ip) {
            return Some("is the cloud's metadata service");
        }
        match refused(ip) {
            Some(_) if self.lets(host, ip) => None,
            why => why,
        }
    }
}

fn is_host_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Whether `ip` is in `net/prefix` (an IPv4 range holds no IPv6 address, and back).
fn within(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let bits = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32u8),
        IpAddr::V6(v6) => (u128::from(v6), 128u8),
    };
    let ((a, width), (b, net_width)) = (bits(ip), bits(net));
    if width != net_width {
        return false;
    }
    let mask = match prefix {
        0 => 0,
        p => u128::MAX << (128 - u32::from(p)),
    };
    a & mask == b & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn the_machine_its_networks_and_the_metadata_service_are_refused() {
        for refused_ip in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "198.18.0.1",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "fd00:ec2::254",
        ] {
            assert!(refused(ip(refused_ip)).is_some(), "{refused_ip}");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            assert_eq!(refused(ip(public)), None, "{public}");
        }
    }

    #[test]
    fn the_operator_allows_hosts_and_ranges_but_never_the_metadata_service() {
        let allowed =
            Allowed::parse("crm.internal, 10.1.0.0/16 127.0.0.1, 169.254.0.0/16").expect("allowed");
        assert_eq!(allowed.refuses("crm.internal", ip("192.168.5.5")), None);
        assert_eq!(allowed.refuses("CRM.internal", ip("192.168.5.5")), None);
        assert_eq!(allowed.refuses("x", ip("10.1.200.3")), None);
        assert_eq!(allowed.refuses("x", ip("127.0.0.1")), None);
        assert!(allowed.refuses("x", ip("10.2.0.1")).is_some());
        assert!(allowed.refuses("x", ip("127.0.0.2")).is_some());
        assert!(allowed.refuses("x", ip("169.254.169.254")).is_some());
        assert!(
            allowed
                .refuses("crm.internal", ip("169.254.169.254"))
                .is_some()
        );
        assert!(allowed.refuses("x", ip("::ffff:169.254.169.254")).is_some());
        assert_eq!(Allowed::parse("").expect("empty"), Allowed::default());
        for bad in ["10.0.0.0/33", "crm internal/8", "http://crm", "10.0.0.0/x"] {
            assert!(Allowed::parse(bad).is_err(), "{bad}");
        }
    }
}
