#!/usr/bin/env python3
"""Renders a man page whose command-line sections come from the binary itself.

    manpage.py --template docs/man/timectl.1.in [--run "qemu-aarch64-static -L /usr/aarch64-linux-gnu"] \
        --date 2025-11-23 BINARY > timectl.1

The binary's `--help` (and `BINARY SUB... --help` for every subcommand, recursively) is parsed into
usage, arguments, options and commands and rendered as roff; the template (hand-written roff in
docs/man/) supplies the prose and marks where the generated parts go:

    @TH@        the .TH line (name and section from the template's file name, version from --version)
    @NAME@      NAME section from the binary's about line
    @SYNOPSIS@  SYNOPSIS from its usage line
    @OPTIONS@   OPTIONS section (arguments and options of the top-level command)
    @COMMANDS@  COMMANDS section, one subsection per (sub)subcommand with its own arguments/options

Why parse --help rather than link clap_mangen: the generator then needs no access to the binaries'
private clap types (timed and timectl keep theirs in main.rs) and adds nothing to what ships, and
the page is rendered from the exact binary that goes into the package. Anything the parser does not
understand is an error, not a silently shorter page. A binary with subcommands and a template
without @COMMANDS@ (or the reverse) is an error too, so a new subcommand cannot go undocumented.
"""

import argparse
import re
import shlex
import subprocess
import sys

SECTION_RE = re.compile(r"^([A-Z][A-Za-z ]*):$")
# An entry: two spaces, the spec (flags, <VALUE>, command name), then two or more spaces and the
# description on the same line (clap's short layout) or nothing (clap's next-line layout).
# Flags without a short form are indented four more spaces, aligned with the long flags.
ENTRY_RE = re.compile(r"^(?:  |      )(\S(?:\S| (?! ))*)(?: {2,}(\S.*))?$")


def run_help(run_prefix, binary, path):
    cmd = run_prefix + [binary] + path + ["--help"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"manpage.py: {' '.join(cmd)} exited {out.returncode}: {out.stderr.strip()}")
    return out.stdout


def parse_help(text, where):
    """Parses clap's help output into about, usage and sections {title: [(spec, [desc lines])]}."""
    lines = text.rstrip("\n").split("\n")
    about, usage, sections, extra = [], None, {}, []
    current, entry, in_extra = None, None, False
    for n, line in enumerate(lines, 1):
        line = line.rstrip()
        if usage is None:
            if line.startswith("Usage: "):
                usage = line[len("Usage: "):].strip()
            else:
                about.append(line)
            continue
        if in_extra:
            # Everything after the sections (clap's after_help) is prose, kept paragraph by paragraph.
            extra.append(line)
            continue
        m = SECTION_RE.match(line)
        if m:
            current, entry = m.group(1), None
            sections.setdefault(current, [])
            continue
        if not line.strip():
            if entry is not None:
                entry[1].append("")
            continue
        if current is None:
            sys.exit(f"manpage.py: {where}: line {n}: text before any section: {line!r}")
        indent = len(line) - len(line.lstrip(" "))
        if indent >= 8 and entry is not None:
            entry[1].append(line.strip())
            continue
        m = ENTRY_RE.match(line)
        if m:
            entry = (m.group(1), [m.group(2)] if m.group(2) else [])
            sections[current].append(entry)
            continue
        if not line.startswith(" "):
            in_extra = True
            extra.append(line)
            continue
        sys.exit(f"manpage.py: {where}: line {n}: cannot parse {line!r}")
    if usage is None:
        sys.exit(f"manpage.py: {where}: no 'Usage:' line in the help output")
    for entries in sections.values():
        for _, desc in entries:
            while desc and desc[-1] == "":
                desc.pop()
    while about and not about[-1].strip():
        about.pop()
    while extra and not extra[-1].strip():
        extra.pop()
    return {"about": about, "usage": usage, "sections": sections, "extra": extra}


def esc(text):
    """Escapes plain text for roff; `code` spans become bold."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def spec_roff(spec):
    """`-c, --config <CONFIG>` → bold flags, italic values."""
    out = []
    for tok in spec.split(" "):
        comma = tok.endswith(",")
        word = tok[:-1] if comma else tok
        if word.startswith("-"):
            r = "\\fB" + esc(word) + "\\fR"
        elif word.startswith(("<", "[")):
            r = "\\fI" + esc(word) + "\\fR"
        else:
            r = "\\fB" + esc(word) + "\\fR"
        out.append(r + ("," if comma else ""))
    return " ".join(out)


def paragraphs(lines):
    """Description lines (blank = paragraph break, '- x' / '* x' = list item) as roff."""
    out = []
    for line in lines:
        if line == "":
            out.append(".IP")
        elif re.match(r"^[-*] ", line):
            out.append(".br")
            out.append("\\(bu " + esc(line[2:]))
        else:
            out.append(esc(line))
    return out


def usage_roff(usage):
    words = usage.split(" ")
    # The command words (up to the first [OPTIONS]/<ARG>) in bold, the rest as given.
    n = 0
    while n < len(words) and not words[n].startswith(("[", "<", "-")):
        n += 1
    return "\\fB" + esc(" ".join(words[:n])) + "\\fR" + (" " + esc(" ".join(words[n:])) if n < len(words) else "")


def entries_roff(entries, skip=()):
    out = []
    for spec, desc in entries:
        if (spec, tuple(desc)) in skip or (spec == "-h, --help" and skip):
            continue
        out.append(".TP")
        out.append(spec_roff(spec))
        out.extend(paragraphs(desc))
    return out


def command_tree(run_prefix, binary, path, where):
    help_ = parse_help(run_help(run_prefix, binary, path), where + " " + " ".join(path + ["--help"]))
    subs = []
    for spec, _ in help_["sections"].get("Commands", []):
        if spec == "help":
            continue
        if " " in spec:
            sys.exit(f"manpage.py: {where}: unexpected command entry {spec!r}")
        subs.append((spec, command_tree(run_prefix, binary, path + [spec], where)))
    help_["subcommands"] = subs
    known = {"Commands", "Arguments", "Options"}
    unknown = set(help_["sections"]) - known
    if unknown:
        sys.exit(f"manpage.py: {where} {' '.join(path)}: unknown help sections {sorted(unknown)}")
    return help_


def arg_sections(node, skip):
    out = []
    args = node["sections"].get("Arguments", [])
    if args:
        out += entries_roff(args)
    out += entries_roff(node["sections"].get("Options", []), skip)
    return out


def commands_roff(node, prog, global_specs):
    out = []
    for name, sub in node["subcommands"]:
        full = f"{prog} {name}"
        out.append(f'.SS "{esc(full)}"')
        out.extend(esc(line) if line else ".PP" for line in sub["about"])
        out.append(".PP")
        out.append(usage_roff(sub["usage"]))
        body = arg_sections(sub, global_specs)
        if body:
            out.append(".RS")
            out += body
            out.append(".RE")
        if sub["extra"]:
            out.append(".PP")
            out += [esc(line) if line.strip() else ".PP" for line in sub["extra"]]
        out += commands_roff(sub, full, global_specs)
    return out


def render(template_path, template, binary, run_prefix, date):
    m = re.match(r"^(?:.*/)?([^/]+)\.(\d)\.in$", template_path)
    if not m:
        sys.exit(f"manpage.py: {template_path}: template names look like NAME.SECTION.in")
    name, section = m.group(1), m.group(2)
    version_out = subprocess.run(run_prefix + [binary, "--version"], capture_output=True, text=True)
    vm = re.match(r"^(\S+) (\S+)\s*$", version_out.stdout)
    if version_out.returncode != 0 or not vm or vm.group(1) != name:
        sys.exit(f"manpage.py: {binary} --version printed {version_out.stdout!r}, expected '{name} VERSION'")
    version = vm.group(2)
    root = command_tree(run_prefix, binary, [], binary)
    options = root["sections"].get("Options", [])
    # Global options (clap `global = true`) repeat in every subcommand's help, with the same
    # description: documented once, under OPTIONS. So is -h/--help.
    global_specs = {(s, tuple(d)) for s, d in options}

    about = " ".join(line.strip() for line in root["about"] if line.strip())
    parts = {
        "@TH@": [f'.TH {esc(name.upper())} {section} "{date}" "timed {version}" "timed manual"'],
        "@NAME@": [".SH NAME", f"{esc(name)} \\- {esc(about)}"],
        "@SYNOPSIS@": [".SH SYNOPSIS", usage_roff(root["usage"])],
        "@OPTIONS@": [".SH OPTIONS"] + arg_sections(root, ())
        + ([".PP"] + [esc(line) if line.strip() else ".PP" for line in root["extra"]] if root["extra"] else []),
    }
    if root["subcommands"]:
        parts["@COMMANDS@"] = [".SH COMMANDS"]
        if any(s not in ("-h, --help", "-V, --version") for s, _ in options):
            parts["@COMMANDS@"] += ["The options above may also be given after any command."]
        parts["@COMMANDS@"] += commands_roff(root, name, global_specs)

    out = []
    used = set()
    for line in template.split("\n"):
        key = line.strip()
        if re.fullmatch(r"@[A-Z]+@", key):
            if key not in parts:
                if key == "@COMMANDS@":
                    sys.exit(f"manpage.py: {template_path} has @COMMANDS@ but {name} has no subcommands")
                sys.exit(f"manpage.py: {template_path}: unknown placeholder {key}")
            out += parts[key]
            used.add(key)
        else:
            out.append(line)
    missing = set(parts) - used
    if missing:
        sys.exit(
            f"manpage.py: {template_path} lacks {sorted(missing)}: {name}'s "
            + ("subcommands" if "@COMMANDS@" in missing else "generated sections")
            + " would not be documented"
        )
    return "\n".join(out).rstrip("\n") + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--template", required=True)
    p.add_argument("--run", default="", help="command prefix to run the binary (an emulator)")
    p.add_argument("--date", required=True, help="date for the .TH line (YYYY-MM-DD)")
    p.add_argument("binary")
    a = p.parse_args()
    with open(a.template, encoding="utf-8") as f:
        template = f.read()
    sys.stdout.write(render(a.template, template, a.binary, shlex.split(a.run), a.date))


if __name__ == "__main__":
    main()
