#!/usr/bin/env python3
"""NAV-SVIN and TIM-SVIN frames built by pyubx2 (an independent UBX implementation, PyPI), for
the survey-in decoder tests in svin/tests.rs.

    python3 timed/core/src/ubx/decode/svin/reference.py

prints one line per frame: NAME HEX-OF-THE-WHOLE-FRAME. The tests hold the output as constants
and rerun this script when pyubx2 is installed, so the constants stay pyubx2's bytes. pyubx2
places the fields (offsets, widths, signedness) but does not scale them: the units (cm, 0.1 mm,
mm^2) come from the u-blox interface descriptions and are checked in the tests.
"""
from pyubx2 import UBXMessage

# A ZED-F9T part-way through its survey: 245 s, 4.2 m mean accuracy, still active.
# ECEF of a roof in Frankfurt (50.1109 N, 8.6821 E, 151.3 m), cm plus signed 0.1 mm parts.
NAV = UBXMessage(
    "NAV", "NAV-SVIN", 0,
    version=0, iTOW=389_245_000, dur=245,
    meanX=405_153_960, meanY=61_867_735, meanZ=487_082_503,
    meanXHP=20, meanYHP=-47, meanZHP=44,
    meanAcc=42_000, obs=245, valid=0, active=1,
)
# A NEO-M8T whose survey finished: 86 400 s, variance 1 440 000 mm^2 (1.2 m), valid.
# Cordoba, Argentina (33.9249 S, 64.1901 W, 412 m): two axes negative (signedness).
TIM = UBXMessage(
    "TIM", "TIM-SVIN", 0,
    dur=86_400, meanX=230_678_904, meanY=-476_971_890, meanZ=-353_976_739,
    meanV=1_440_000, obs=86_390, valid=1, active=0,
)

for name, msg in (("NAV_SVIN", NAV), ("TIM_SVIN", TIM)):
    print(name, msg.serialize().hex())
