//! Constellations only when asked: the plan's items, CFG-GNSS encoding and read-back, and
//! whole sessions against the fake receiver (fake.rs) on both interfaces.

use super::super::*;
use super::fake::{run, Fake, Model};
use super::{f9t, m8t};
use crate::gnss::Constellation as C;
use crate::ubx::cfg_gnss::{GnssCfg, ID_GNSS};
use crate::ubx::valset::signal_keys;

fn gps_gal() -> Settings {
    Settings { constellations: Some(vec![C::Gps, C::Galileo]), ..Settings::default() }
}

#[test]
fn not_asked_no_item() {
    for id in [f9t(), m8t()] {
        let w = items::wanted(&Settings::default(), &Identity::from_mon_ver(&id));
        assert!(w.iter().all(|(i, _)| !matches!(i, ItemId::Gnss(_))), "{w:?}");
    }
}

#[test]
fn asked_one_item_per_system_before_the_speed() {
    let w = items::wanted(&gps_gal(), &Identity::from_mon_ver(&f9t()));
    let g: Vec<(ItemId, i64)> = w.iter().copied().filter(|(i, _)| matches!(i, ItemId::Gnss(_))).collect();
    assert_eq!(
        g,
        vec![
            (ItemId::Gnss(C::Gps), 1),
            (ItemId::Gnss(C::Sbas), 0),
            (ItemId::Gnss(C::Galileo), 1),
            (ItemId::Gnss(C::Beidou), 0),
            (ItemId::Gnss(C::Qzss), 0),
            (ItemId::Gnss(C::Glonass), 0),
        ]
    );
    assert_eq!(w.last().map(|x| x.0), Some(ItemId::UartBaud));
    assert_eq!(ItemId::Gnss(C::Galileo).key(), signal_keys::GAL_ENA);
    assert_eq!(ItemId::Gnss(C::Galileo).key(), 0x1031_0021);
    assert_eq!(ItemId::Gnss(C::Glonass).name(), "gnss-glonass");
    assert_eq!(legacy::Carrier::of(ItemId::Gnss(C::Gps)).name(), "CFG-GNSS");
}

#[test]
fn names_and_rules() {
    assert_eq!(constellations::parse("Galileo"), Some(C::Galileo));
    assert_eq!(constellations::parse("navic"), None, "not switchable");
    assert_eq!(constellations::parse("gallileo"), None);
    assert!(constellations::problem(&[C::Gps, C::Galileo]).is_none());
    assert!(constellations::problem(&[C::Sbas]).unwrap().contains("at least one"));
    assert!(constellations::problem(&[C::Galileo, C::Qzss]).unwrap().contains("qzss"));
    assert!(constellations::problem(&[C::Gps, C::Qzss, C::Glonass]).is_none());
}

#[test]
fn cfg_gnss_rewrites_enable_flags_keeping_channels() {
    // As an M8 answers: GPS 8..16, SBAS 1..3, Galileo 4..8 (off), QZSS 0..3, GLONASS 8..14.
    let polled = GnssCfg {
        num_trk_ch_hw: 32,
        num_trk_ch_use: 32,
        blocks: vec![
            crate::ubx::cfg_gnss::Block { gnss_id: 0, res_trk_ch: 8, max_trk_ch: 16, flags: 0x0001_0001 },
            crate::ubx::cfg_gnss::Block { gnss_id: 1, res_trk_ch: 1, max_trk_ch: 3, flags: 0x0001_0001 },
            crate::ubx::cfg_gnss::Block { gnss_id: 2, res_trk_ch: 4, max_trk_ch: 8, flags: 0x0001_0000 },
            crate::ubx::cfg_gnss::Block { gnss_id: 5, res_trk_ch: 0, max_trk_ch: 3, flags: 0x0005_0001 },
            crate::ubx::cfg_gnss::Block { gnss_id: 6, res_trk_ch: 8, max_trk_ch: 14, flags: 0x0001_0001 },
        ],
    };
    let frame = polled.encode();
    assert_eq!(&frame[2..4], &[0x06, ID_GNSS]);
    assert_eq!(u16::from_le_bytes([frame[4], frame[5]]), 4 + 8 * 5);
    let mut r = legacy::Readout::default();
    r.store(legacy::Carrier::Gnss, &frame[6..frame.len() - 2]);
    assert_eq!(r.current(ItemId::Gnss(C::Glonass)), Some(1));
    assert_eq!(r.current(ItemId::Gnss(C::Galileo)), Some(0));
    assert_eq!(r.current(ItemId::Gnss(C::Beidou)), Some(0), "not listed: the receiver lacks it");
    let w = constellations::wanted(&[C::Gps, C::Galileo]);
    let set = r.set_message(legacy::Carrier::Gnss, &w);
    let back = GnssCfg::decode(&set[6..set.len() - 2]).unwrap();
    let on: Vec<u8> = back.blocks.iter().filter(|b| b.enabled()).map(|b| b.gnss_id).collect();
    assert_eq!(on, vec![0, 2]);
    for (a, b) in back.blocks.iter().zip(&polled.blocks) {
        assert_eq!((a.gnss_id, a.res_trk_ch, a.max_trk_ch), (b.gnss_id, b.res_trk_ch, b.max_trk_ch));
        assert_eq!(a.flags & !1, b.flags & !1, "signal masks kept");
    }
    assert_eq!(back.blocks.len(), polled.blocks.len(), "no block added for a disabled system");
    assert!(GnssCfg::decode(&[0, 32, 32, 2, 0, 8]).is_none(), "cut short");
}

#[test]
fn f9t_and_m8t_apply_then_verify() {
    for model in [Model::F9t, Model::M8t] {
        let mut f = Fake::factory(model);
        let (plan, _) = run(&mut Session::new(Op::Plan, gps_gal(), None, 0), &mut f);
        let differ: Vec<String> = plan
            .items
            .iter()
            .filter(|i| matches!(i.item.id, ItemId::Gnss(_)) && !i.item.equal())
            .map(|i| i.item.id.name())
            .collect();
        assert!(
            differ.contains(&"gnss-glonass".to_string())
                && differ.contains(&"gnss-galileo".to_string()) == (model == Model::M8t),
            "{model:?} {differ:?}"
        );
        let (r, _) = run(&mut Session::new(Op::Apply, gps_gal(), None, 0), &mut f);
        let bad: Vec<_> = r.items.iter().filter(|i| !i.equal).collect();
        assert!(bad.is_empty() && r.done(), "{model:?} {bad:#?}");
        let (v, _) = run(&mut Session::new(Op::Verify, gps_gal(), None, 0), &mut f);
        assert!(v.all_equal(), "{model:?}");
        let g = v.items.iter().find(|i| i.item.id == ItemId::Gnss(C::Galileo)).unwrap();
        assert_eq!(g.item.current, Some(1));
        match model {
            Model::F9t => {
                assert_eq!(f.keys[&signal_keys::GAL_ENA], 1);
                assert_eq!(f.keys[&signal_keys::GLO_ENA], 0);
            }
            _ => {
                assert_eq!(f.gnss.enabled(C::Galileo), Some(true));
                assert_eq!(f.gnss.enabled(C::Glonass), Some(false));
                assert_eq!(f.gnss.enabled(C::Qzss), Some(false));
            }
        }
        // A plan that does not ask leaves them alone: verify still passes on the rest.
        let (n, _) = run(&mut Session::new(Op::Verify, Settings::default(), None, 0), &mut f);
        assert!(n.items.iter().all(|i| !matches!(i.item.id, ItemId::Gnss(_))));
    }
}
