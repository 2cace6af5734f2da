#!/usr/bin/env python3
"""Reference ADEV/TDEV for timed-core's stats tests, computed by allantools.

Regenerates, bit for bit, the synthetic phase series of src/stats/tests/reference.rs:
SplitMix64 -> uniform in (0, 1] -> Box-Muller (cosine branch, one normal per two uniforms):
  white: x[i] = 1e-6 * g_i                      (white phase noise, sigma 1 us), seed 1
  walk:  x[0] = 1e-9 * g_0, x[i] = x[i-1] + 1e-9 * g_i   (random-walk phase), seed 2
4096 samples each at 1 Hz, and prints allantools.oadev and allantools.tdev at
tau = 1, 2, 4 ... 1024 s.

  pip install allantools
  python3 timed/core/src/stats/reference.py          # lines "<series> <stat> <tau> <value>"
  python3 timed/core/src/stats/reference.py --rust   # the same as Rust constants
"""

import math
import sys

import allantools
import numpy as np

MASK = (1 << 64) - 1
N = 4096
TAUS = [float(1 << k) for k in range(11)]


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        # 53 random bits, shifted to (0, 1] so log() never sees 0.
        return ((self.next() >> 11) + 1) * 2.0**-53

    def normal(self):
        u1 = self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def white():
    g = SplitMix64(1)
    return [1e-6 * g.normal() for _ in range(N)]


def walk():
    g = SplitMix64(2)
    x, acc = [], 0.0
    for _ in range(N):
        acc = acc + 1e-9 * g.normal()
        x.append(acc)
    return x


def results():
    out = []
    for name, series in (("white", white()), ("walk", walk())):
        x = np.array(series)
        for stat, fn in (("adev", allantools.oadev), ("tdev", allantools.tdev)):
            taus, devs, _, _ = fn(x, rate=1.0, data_type="phase", taus=np.array(TAUS))
            assert list(taus) == TAUS, taus
            for tau, dev in zip(taus, devs):
                out.append((name, stat, int(tau), float(dev)))
        out.append((name, "first", 0, series[0]))
        out.append((name, "last", N - 1, series[-1]))
    return out


def main():
    rows = results()
    g = SplitMix64(0)
    first = [g.next() for _ in range(3)]
    if "--rust" in sys.argv[1:]:
        print(f"// allantools {allantools.__version__}, numpy {np.__version__}")
        print("const SPLITMIX_SEED0: [u64; 3] = [" + ", ".join(f"0x{v:016X}" for v in first) + "];")
        for name in ("white", "walk"):
            ends = [r[3] for r in rows if r[0] == name and r[1] in ("first", "last")]
            print(f"const {name.upper()}_ENDS: [f64; 2] = [{ends[0]!r}, {ends[1]!r}];")
            for stat in ("adev", "tdev"):
                vals = [r[3] for r in rows if r[0] == name and r[1] == stat]
                print(f"const {name.upper()}_{stat.upper()}: [f64; 11] = [")
                for v in vals:
                    print(f"    {v!r},")
                print("];")
    else:
        print(f"# allantools {allantools.__version__}")
        print("splitmix0 " + " ".join(str(v) for v in first))
        for name, stat, tau, value in rows:
            print(f"{name} {stat} {tau} {value!r}")


if __name__ == "__main__":
    main()
