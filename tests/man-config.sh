#!/usr/bin/env bash
# timed.toml(5) against the configuration timed really accepts.
#
#   bash tests/man-config.sh [TIMED_BINARY [PAGE [DEFAULTS_TOML]]]
#
# The page is hand-written (docs/man/timed.toml.5); this keeps it honest. The set of keys comes from
# the binary itself: timed's parser rejects unknown keys and names the ones it expects, so feeding
# `--check-config` a probe key in every table lists every table's keys (recursively for sub-tables)
# without reading any source. Checked both ways (an undocumented key and a documented key timed
# does not know both fail), and every default the page states must equal the value in the shipped
# annotated config (timed/daemon/timed.toml, which timed's own tests hold equal to its defaults).
# Takes about a second; tests/deb.sh runs it again on the installed package.
set -euo pipefail
cd "$(dirname "$0")/.."
timed=${1:-target/debug/timed}
page=${2:-docs/man/timed.toml.5}
defaults=${3:-timed/daemon/timed.toml}
if [ ! -x "$timed" ]; then
    echo "man-config: $timed not built (cargo build -p timed --bin timed)" >&2
    exit 1
fi
exec python3 - "$timed" "$page" "$defaults" <<'EOF'
import gzip, os, re, subprocess, sys, tempfile, tomllib

timed, page, defaults = sys.argv[1:4]
fail = []

def probe(table):
    """The keys timed accepts in `table` ("" = top level), or None if it is not a table."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write((f"[{table}]\n" if table else "") + "__probe = 1\n")
    try:
        out = subprocess.run([timed, "--check-config", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    if out.returncode != 78:
        sys.exit(f"man-config: {timed} --check-config on a probe for [{table}] exited {out.returncode}, "
                 f"expected 78: {out.stderr}")
    m = re.search(r"unknown field `__probe`, expected (.*)", out.stderr)
    if m:
        return re.findall(r"`([^`]+)`", m.group(1))
    if "unknown field" in out.stderr:
        sys.exit(f"man-config: cannot read the expected keys from: {out.stderr}")
    return None  # a value (wrong type for a table), not a table

def walk(table, acc):
    for key in probe(table) or []:
        dotted = f"{table}.{key}" if table else key
        sub = probe(dotted)
        if sub is None:
            acc.add(dotted)
        else:
            walk(dotted, acc)
    return acc

accepted = walk("", set())
if len(accepted) < 10:
    sys.exit(f"man-config: only {sorted(accepted)} found: the probe is broken")

opener = gzip.open if page.endswith(".gz") else open
with opener(page, "rt", encoding="utf-8") as f:
    roff = f.read().split("\n")

def plain(s):
    s = re.sub(r"\\f[BIRP]", "", s)
    return s.replace("\\-", "-").replace("\\(dq", '"').replace("\\e", "\\")

documented, page_defaults, table = {}, {}, None
for n, line in enumerate(roff, 1):
    m = re.match(r"^\.SS \[([a-z_.]+)\]$", line)
    if m:
        table = m.group(1)
        continue
    if line.startswith(".SH"):
        table = None
    if n > 1 and roff[n - 2] == ".TP" and table:
        m = re.match(r"^\\fB([a-z_]+)\\fR = \\fI[^\\]+\\fR \(default: (.*)\)$", line)
        if not m:
            fail.append(f"{page}:{n}: a key entry in [{table}] not in the form "
                        r"'\fBkey\fR = \fItype\fR (default: VALUE)': {line!r}")
            continue
        dotted = f"{table}.{m.group(1)}"
        if dotted in documented:
            fail.append(f"{page}:{n}: {dotted} documented twice (also line {documented[dotted]})")
        documented[dotted] = n
        page_defaults[dotted] = (n, plain(m.group(2)))

for k in sorted(accepted - set(documented)):
    fail.append(f"{page}: timed accepts {k} but the page does not document it")
for k in sorted(set(documented) - accepted):
    fail.append(f"{page}:{documented[k]}: documents {k}, which timed rejects as unknown")

with open(defaults, "rb") as f:
    shipped = tomllib.load(f)
def lookup(d, dotted):
    for part in dotted.split("."):
        if not isinstance(d, dict) or part not in d:
            return KeyError
        d = d[part]
    return d
for k, (n, literal) in sorted(page_defaults.items()):
    try:
        value = tomllib.loads(f"v = {literal}")["v"]
    except tomllib.TOMLDecodeError as e:
        fail.append(f"{page}:{n}: default of {k} is not a TOML value: {literal!r} ({e})")
        continue
    want = lookup(shipped, k)
    if want is KeyError:
        fail.append(f"{page}:{n}: {k} is not in {defaults}, which lists every default")
    elif value != want or type(value) is not type(want):
        fail.append(f"{page}:{n}: default of {k} is {literal}, {defaults} has {want!r}")

if fail:
    print("\n".join("man-config: " + f for f in fail), file=sys.stderr)
    sys.exit(1)
print(f"man-config: {len(accepted)} keys, all documented with their defaults ({page})")
EOF
