//! Tests of the client-log reader: records read like chronyc's CSV, activity and top talkers,
//! and paging a fake chronyd's log without ever asking for a reset.

use super::*;
use chrony_candm::common::ChronyAddr;
use chrony_candm::reply::{ClientAccessesByIndex, Reply, Status};
use chrony_candm::request::Request;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

fn wire(ip: [u8; 4], ntp: u32, nke: u32, interval: i8, ago: u32) -> ClientAccessesClient {
    ClientAccessesClient {
        ip: ChronyAddr::V4(ip.into()),
        ntp_hits: ntp,
        nke_hits: nke,
        ntp_drops: ntp / 4,
        ntp_interval: interval as u8,
        nke_interval: if nke > 0 { 3 } else { 127 },
        cmd_interval: 127,
        ntp_timeout_interval: 127,
        last_ntp_hit_ago: ago,
        last_nke_hit_ago: if nke > 0 { ago + 5 } else { u32::MAX },
        last_cmd_hit_ago: u32::MAX,
        ..Default::default()
    }
}

#[test]
fn records_read_like_chronyc_csv() {
    let c = record(&wire([192, 0, 2, 7], 40, 2, -3, 12)).unwrap();
    assert_eq!(c.address, "192.0.2.7");
    assert_eq!((c.ntp_requests, c.ntp_drops, c.nts_ke_requests), (40, 10, 2));
    assert_eq!(c.ntp_interval_log2_s, Some(-3), "int8_t on the wire: fast clients are negative");
    assert_eq!(c.ntp_limited_interval_log2_s, None, "127: no rate yet");
    assert_eq!((c.ntp_last_ago_s, c.nts_ke_last_ago_s, c.cmd_last_ago_s), (Some(12), Some(17), None));
    assert!(c.nts);
    assert_eq!(c.last_seen_ago_s(), Some(12));
    let plain = record(&wire([192, 0, 2, 8], 1, 0, 6, 4000)).unwrap();
    assert!(!plain.nts);
    assert_eq!(plain.nts_ke_interval_log2_s, None);
    let unspec = ClientAccessesClient { ip: ChronyAddr::Unspec, ..wire([0; 4], 1, 0, 0, 0) };
    assert!(record(&unspec).is_none(), "chronyc skips unspecified addresses");
}

#[test]
fn activity_counts_clients_by_their_last_time_request() {
    let ago = [Some(10), Some(3600), Some(3601), Some(86_400), Some(86_401), None];
    let clients = ago
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut c = record(&wire([10, 0, 0, i as u8], 5, 0, 4, 0)).unwrap();
            c.ntp_last_ago_s = *a;
            c
        })
        .collect();
    let log = ClientLog { clients, complete: true };
    let a = log.activity();
    assert_eq!((a.logged, a.active_1h, a.active_24h, a.complete), (6, 2, 4, true));
    // An NTS-KE connection counts as being seen too.
    let mut log = log;
    log.clients[5].nts_ke_last_ago_s = Some(5);
    assert_eq!(log.activity().active_1h, 3);
}

#[test]
fn top_talkers_are_ordered_by_requests() {
    let clients = [(1, 5), (2, 50), (3, 7), (4, 50)]
        .iter()
        .map(|&(i, n)| record(&wire([10, 0, 0, i], n, 0, 0, 1)).unwrap())
        .collect();
    let log = ClientLog { clients, complete: true };
    let top: Vec<String> = log.top(3).into_iter().map(|c| c.address).collect();
    assert_eq!(top, ["10.0.0.2", "10.0.0.4", "10.0.0.3"]);
}

/// A fake chronyd with 19 clients spread over a 64-slot table (empty slots between them) pages
/// its log as clientlog.c does; the reader must get every client once, in order, and never ask
/// for a reset.
#[test]
fn the_log_is_paged_like_chronyc_and_never_reset() {
    let dir = timed_lab::Scratch::new("timed-clients").unwrap();
    let path = dir.join("chronyd.sock");
    let server = UnixDatagram::bind(&path).unwrap();
    server.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let table: Vec<Option<ClientAccessesClient>> =
        (0..64u8).map(|i| (i % 3 == 1).then(|| wire([10, 1, 0, i], u32::from(i), 0, 2, 1))).collect();
    let expect: Vec<String> = table.iter().flatten().map(|c| ip_text(&c.ip).unwrap()).collect();
    let fake = std::thread::spawn(move || {
        let mut resets = 0;
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = server.recv_from(&mut buf) {
            let req = Request::deserialize(&mut &buf[..n]).unwrap();
            let RequestBody::ClientAccessesByIndex3(q) = req.body else { panic!("{req:?}") };
            resets += q.reset;
            let mut page = ClientAccessesByIndex {
                n_indices: table.len() as u32,
                next_index: q.first_index,
                n_clients: 0,
                clients: [ClientAccessesClient::default(); 8],
            };
            while (page.next_index as usize) < table.len() && page.n_clients < q.n_clients.min(8) {
                if let Some(c) = table[page.next_index as usize] {
                    page.clients[page.n_clients as usize] = c;
                    page.n_clients += 1;
                }
                page.next_index += 1;
            }
            let reply = Reply {
                status: Status::Success,
                cmd: 68,
                sequence: req.sequence,
                body: ReplyBody::ClientAccessesByIndex3(page),
            };
            let mut out = Vec::new();
            reply.serialize(&mut out);
            server.send_to(&out, from.as_pathname().unwrap()).unwrap();
            if page.next_index as usize >= table.len() || page.n_clients < 8 {
                return resets;
            }
        }
        resets
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let log = rt.block_on(async {
        let mut c = Client::open(&path, Duration::from_secs(2)).await.unwrap();
        read(&mut c).await
    });
    let log = log.unwrap();
    assert_eq!(fake.join().unwrap(), 0, "a reset was asked for");
    assert!(log.complete);
    let got: Vec<String> = log.clients.iter().map(|c| c.address.clone()).collect();
    assert_eq!(got, expect);
}
