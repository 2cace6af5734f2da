#!/usr/bin/env python3
"""Checks with pyubx2 (PyPI; an implementation no one here wrote) every UBX frame timed sent to a
receiver during `timectl receiver apply`.

    check_frames.py RECORDED_INPUT APPLY_JSON

RECORDED_INPUT: every byte the receiver got (timed-sim --record-input). APPLY_JSON: the output of
`timectl receiver apply --json` (the plan: item, key ID or legacy message, wanted value, outcome).

Checks: (1) every frame parses (checksum, length, known message) in pyubx2; (2) every item that
was sent appears in a frame that pyubx2 decodes to the intended message, key and value: for the
key interface, pyubx2's name for the key ID must be the one the F9 interface description gives
that item (the table below, written from the description, not from timed's code); for the
legacy interface the field of the intended CFG message; (3) without --save nothing goes to BBR
or flash (VALSET layers RAM only, no CFG-CFG); with --save every VALSET writes BBR and flash.
Prints one line per check and exits 1 on the first kind of failure it finds (all listed).
"""

import json
import sys

from pyubx2 import POLL, SET, UBX_CONFIG_DATABASE, UBXReader

# Item -> configuration key name (F9 interface description, configuration reference).
KEY_NAMES = {
    "uart1-in-ubx": "CFG_UART1INPROT_UBX",
    "uart1-out-ubx": "CFG_UART1OUTPROT_UBX",
    "uart1-out-nmea": "CFG_UART1OUTPROT_NMEA",
    "uart1-baud": "CFG_UART1_BAUDRATE",
    "rate NAV-PVT": "CFG_MSGOUT_UBX_NAV_PVT_UART1",
    "rate NAV-TIMEUTC": "CFG_MSGOUT_UBX_NAV_TIMEUTC_UART1",
    "rate NAV-SAT": "CFG_MSGOUT_UBX_NAV_SAT_UART1",
    "rate NAV-TIMELS": "CFG_MSGOUT_UBX_NAV_TIMELS_UART1",
    "rate NAV-STATUS": "CFG_MSGOUT_UBX_NAV_STATUS_UART1",
    "rate NAV-SVIN": "CFG_MSGOUT_UBX_NAV_SVIN_UART1",
    "rate TIM-SVIN": "CFG_MSGOUT_UBX_TIM_SVIN_UART1",
    "rate TIM-TP": "CFG_MSGOUT_UBX_TIM_TP_UART1",
    "rate MON-RF": "CFG_MSGOUT_UBX_MON_RF_UART1",
    "rate MON-HW": "CFG_MSGOUT_UBX_MON_HW_UART1",
    "timepulse-enabled": "CFG_TP_TP1_ENA",
    "timepulse-frequency-not-period": "CFG_TP_PULSE_DEF",
    "timepulse-length-not-ratio": "CFG_TP_PULSE_LENGTH_DEF",
    "timepulse-period-us": "CFG_TP_PERIOD_TP1",
    "timepulse-period-locked-us": "CFG_TP_PERIOD_LOCK_TP1",
    "timepulse-length-unlocked-us": "CFG_TP_LEN_TP1",
    "timepulse-length-locked-us": "CFG_TP_LEN_LOCK_TP1",
    "timepulse-sync-gnss": "CFG_TP_SYNC_GNSS_TP1",
    "timepulse-only-with-fix": "CFG_TP_USE_LOCKED_TP1",
    "timepulse-align-to-second": "CFG_TP_ALIGN_TO_TOW_TP1",
    "timepulse-rising-edge": "CFG_TP_POL_TP1",
    "timepulse-grid": "CFG_TP_TIMEGRID_TP1",
    "antenna-cable-delay-ns": "CFG_TP_ANT_CABLEDELAY",
    "user-delay-ns": "CFG_TP_USER_DELAY_TP1",
    "dynamic-model": "CFG_NAVSPG_DYNMODEL",
    "time-mode": "CFG_TMODE_MODE",
    "time-mode-position-type": "CFG_TMODE_POS_TYPE",
    "fixed-ecef-x-cm": "CFG_TMODE_ECEF_X",
    "fixed-ecef-y-cm": "CFG_TMODE_ECEF_Y",
    "fixed-ecef-z-cm": "CFG_TMODE_ECEF_Z",
    "fixed-ecef-x-hp-0.1mm": "CFG_TMODE_ECEF_X_HP",
    "fixed-ecef-y-hp-0.1mm": "CFG_TMODE_ECEF_Y_HP",
    "fixed-ecef-z-hp-0.1mm": "CFG_TMODE_ECEF_Z_HP",
    "fixed-lat-1e-7deg": "CFG_TMODE_LAT",
    "fixed-lon-1e-7deg": "CFG_TMODE_LON",
    "fixed-height-cm": "CFG_TMODE_HEIGHT",
    "fixed-position-accuracy-0.1mm": "CFG_TMODE_FIXED_POS_ACC",
    "survey-in-min-duration-s": "CFG_TMODE_SVIN_MIN_DUR",
    "survey-in-accuracy-limit-0.1mm": "CFG_TMODE_SVIN_ACC_LIMIT",
}
for n in ("GGA", "GLL", "GSA", "GSV", "RMC", "VTG", "ZDA"):
    KEY_NAMES[f"rate NMEA-{n}"] = f"CFG_MSGOUT_NMEA_ID_{n}_UART1"
# Constellations (only when asked): CFG-SIGNAL-*_ENA, and on legacy parts the enable flag of
# CFG-GNSS's block with that gnssId (u-blox 8 protocol specification, "GNSS identifiers").
GNSS_IDS = {"gps": 0, "sbas": 1, "galileo": 2, "beidou": 3, "qzss": 5, "glonass": 6}
for n, k in (("gps", "GPS"), ("sbas", "SBAS"), ("galileo", "GAL"), ("beidou", "BDS"), ("qzss", "QZSS"),
             ("glonass", "GLO")):
    KEY_NAMES[f"gnss-{n}"] = f"CFG_SIGNAL_{k}_ENA"

# Item -> (legacy message, pyubx2 field, scale from the item's unit to the field's), u-blox 8
# protocol specification.
LEGACY = {
    "uart1-in-ubx": ("CFG-PRT", "inUBX", 1),
    "uart1-out-ubx": ("CFG-PRT", "outUBX", 1),
    "uart1-out-nmea": ("CFG-PRT", "outNMEA", 1),
    "uart1-baud": ("CFG-PRT", "baudRate", 1),
    "timepulse-enabled": ("CFG-TP5", "active", 1),
    "timepulse-frequency-not-period": ("CFG-TP5", "isFreq", 1),
    "timepulse-length-not-ratio": ("CFG-TP5", "isLength", 1),
    "timepulse-period-us": ("CFG-TP5", "freqPeriod", 1),
    "timepulse-period-locked-us": ("CFG-TP5", "freqPeriodLock", 1),
    "timepulse-length-unlocked-us": ("CFG-TP5", "pulseLenRatio", 1),
    "timepulse-length-locked-us": ("CFG-TP5", "pulseLenRatioLock", 1),
    "timepulse-sync-gnss": ("CFG-TP5", "lockGnssFreq", 1),
    "timepulse-only-with-fix": ("CFG-TP5", "lockedOtherSet", 1),
    "timepulse-align-to-second": ("CFG-TP5", "alignToTow", 1),
    "timepulse-rising-edge": ("CFG-TP5", "polarity", 1),
    "timepulse-grid": ("CFG-TP5", "gridUtcGnss", 1),
    "antenna-cable-delay-ns": ("CFG-TP5", "antCableDelay", 1),
    "user-delay-ns": ("CFG-TP5", "userConfigDelay", 1),
    "dynamic-model": ("CFG-NAV5", "dynModel", 1),
    "time-mode": ("CFG-TMODE2", "timeMode", 1),
    "time-mode-position-type": ("CFG-TMODE2", "lla", 1),
    "fixed-ecef-x-cm": ("CFG-TMODE2", "ecefXOrLat", 1),
    "fixed-ecef-y-cm": ("CFG-TMODE2", "ecefYOrLon", 1),
    "fixed-ecef-z-cm": ("CFG-TMODE2", "ecefZOrAlt", 1),
    "fixed-lat-1e-7deg": ("CFG-TMODE2", "ecefXOrLat", 1),
    "fixed-lon-1e-7deg": ("CFG-TMODE2", "ecefYOrLon", 1),
    "fixed-height-cm": ("CFG-TMODE2", "ecefZOrAlt", 1),
    # CFG-TMODE2 keeps millimetres; the items are in 0.1 mm.
    "fixed-position-accuracy-0.1mm": ("CFG-TMODE2", "fixedPosAcc", 0.1),
    "survey-in-min-duration-s": ("CFG-TMODE2", "svinMinDur", 1),
    "survey-in-accuracy-limit-0.1mm": ("CFG-TMODE2", "svinAccLimit", 0.1),
}
CLASS_IDS = {
    "NAV-PVT": (0x01, 0x07), "NAV-TIMEUTC": (0x01, 0x21), "NAV-SAT": (0x01, 0x35),
    "NAV-TIMELS": (0x01, 0x26), "NAV-STATUS": (0x01, 0x03), "MON-RF": (0x0A, 0x38),
    "MON-HW": (0x0A, 0x09), "TIM-TP": (0x0D, 0x01), "NAV-SVIN": (0x01, 0x3B), "TIM-SVIN": (0x0D, 0x04),
    "NMEA-GGA": (0xF0, 0x00), "NMEA-GLL": (0xF0, 0x01), "NMEA-GSA": (0xF0, 0x02),
    "NMEA-GSV": (0xF0, 0x03), "NMEA-RMC": (0xF0, 0x04), "NMEA-VTG": (0xF0, 0x05), "NMEA-ZDA": (0xF0, 0x08),
}
KEY_BY_ID = {v[0]: k for k, v in UBX_CONFIG_DATABASE.items()}


def frames(data):
    """Raw UBX frames (sync..checksum); bytes between frames are reported."""
    i, out, junk = 0, [], 0
    while i < len(data):
        if data[i : i + 2] != b"\xb5\x62" or i + 6 > len(data):
            i += 1
            junk += 1
            continue
        n = data[i + 4] | data[i + 5] << 8
        out.append(bytes(data[i : i + 8 + n]))
        i += 8 + n
    return out, junk


def parse(raw):
    """pyubx2's reading of a host->receiver frame: a set, else a poll."""
    errors = []
    for mode in (SET, POLL):
        try:
            return UBXReader.parse(raw, msgmode=mode), None
        except Exception as e:  # pyubx2 raises its own exception types per cause
            errors.append(f"{['GET', 'SET', 'POLL'][mode]}: {e}")
    return None, "; ".join(errors)


def main():
    record, report = sys.argv[1], sys.argv[2]
    data = open(record, "rb").read()
    rep = json.load(open(report))
    raws, junk = frames(data)
    problems = []
    msgs = []
    for raw in raws:
        m, err = parse(raw)
        if m is None:
            problems.append(f"frame {raw[:6].hex()}.. not parsed by pyubx2: {err}")
        else:
            msgs.append(m)
    print(f"pyubx2 parsed {len(msgs)} of {len(raws)} UBX frames ({junk} bytes outside frames)")
    if junk:
        problems.append(f"{junk} bytes sent outside UBX frames")
    valsets = [m for m in msgs if m.identity == "CFG-VALSET"]
    checked = 0
    for it in rep["items"]:
        if it["outcome"] not in ("applied", "nak", "no-ack"):
            continue
        name, wanted = it["item"], it["wanted"]
        if it["key"] is not None:
            want_name = KEY_NAMES.get(name)
            got_name = KEY_BY_ID.get(it["key"])
            if want_name is None or got_name != want_name:
                problems.append(f"{name}: key 0x{it['key']:08x} is {got_name} in pyubx2, wanted {want_name}")
                continue
            if not any(int(getattr(m, got_name, -(2**70))) == wanted for m in valsets):
                problems.append(f"{name}: no CFG-VALSET sets {got_name} = {wanted}")
                continue
        else:
            if name.startswith("rate "):
                cls, mid = CLASS_IDS[name[5:]]
                hits = [
                    m for m in msgs
                    if m.identity == "CFG-MSG" and hasattr(m, "rateUART1")
                    and raw_class(m) == (cls, mid) and m.rateUART1 == wanted
                ]
                if not hits:
                    problems.append(f"{name}: no CFG-MSG sets rateUART1 = {wanted} for {cls:02x} {mid:02x}")
                    continue
            elif name.startswith("gnss-"):
                if not any(gnss_flag(m, GNSS_IDS[name[5:]]) == wanted for m in msgs if m.identity == "CFG-GNSS"):
                    problems.append(f"{name}: no CFG-GNSS sets enable = {wanted} in gnssId {GNSS_IDS[name[5:]]}'s block")
                    continue
            else:
                ident, field, scale = LEGACY[name]
                want = round(wanted * scale)
                if not any(m.identity == ident and getattr(m, field, None) == want for m in msgs):
                    problems.append(f"{name}: no {ident} with {field} = {want}")
                    continue
        checked += 1
    print(f"{checked} sent items found in frames with the intended message, key and value")
    layers = [(m.ram, m.bbr, m.flash) for m in valsets]
    saves = [m for m in msgs if m.identity == "CFG-CFG"]
    if rep["save"]:
        if valsets and any(l != (1, 1, 1) for l in layers):
            problems.append(f"--save: a CFG-VALSET does not write RAM, BBR and flash: {set(layers)}")
        if not valsets and not any(m.devBBR and m.devFlash for m in saves):
            problems.append("--save on a legacy receiver: no CFG-CFG to BBR and flash")
    else:
        flash = sum(1 for l in layers if l[1] or l[2]) + len(saves)
        print(f"frames writing BBR or flash without --save: {flash}")
        if flash:
            problems.append(f"{flash} frames write BBR/flash without --save")
    for p in problems:
        print("FAIL:", p)
    sys.exit(1 if problems else 0)


def gnss_flag(m, gnss_id):
    """The enable flag of CFG-GNSS block `gnss_id` as pyubx2 reads it (the id from the payload:
    pyubx2 shows names), or None without such a block."""
    p = m.payload
    for n in range(getattr(m, "numConfigBlocks", 0)):
        if p[4 + 8 * n] == gnss_id:
            return getattr(m, f"enable_{n + 1:02d}")
    return None


def raw_class(m):
    """(class, id) of the message a CFG-MSG names (pyubx2 shows names; the payload has numbers)."""
    p = m.payload
    return p[0], p[1]


if __name__ == "__main__":
    main()
