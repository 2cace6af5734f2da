"use strict";
// Live updates of timed's status page: polls /status.json and updates the values, lists and
// pictures in place. The page works without this; everything here mirrors the server's
// rendering (web/fmt.rs, web/html.rs, web/svg.rs) and takes text only through textContent.
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  var POLL_MS = 2000;
  var SPAN_S = 300, CAPACITY = 300; // history.rs
  var root = document.documentElement;

  // Rust's fixed-point formatting: the exact decimal value, ties to even (toFixed breaks ties
  // upwards, so an exact tie is settled here).
  function fixed(y, p) {
    var neg = y < 0 || (y === 0 && 1 / y < 0);
    var a = Math.abs(y);
    var s = a.toFixed(p);
    if (a < 1e21) {
      var e = a.toFixed(100), dot = e.indexOf(".");
      if (/^50*$/.test(e.slice(dot + 1 + p))) {
        var t = e.slice(0, p ? dot + 1 + p : dot);
        if ((t.charCodeAt(t.length - 1) - 48) % 2 === 0) s = t;
      }
    }
    return (neg ? "-" : "") + s;
  }
  function signed(y, p) {
    var f = fixed(y, p);
    return f.charAt(0) === "-" ? f : "+" + f;
  }
  function secs(s) {
    var a = Math.abs(s);
    if (!isFinite(s)) return "-";
    if (a < 1e-6) return signed(s * 1e9, 0) + " ns";
    if (a < 1e-3) return signed(s * 1e6, 1) + " \u00b5s";
    if (a < 1) return signed(s * 1e3, 3) + " ms";
    return signed(s, 3) + " s";
  }
  function unsigned(s) {
    return secs(s).replace(/^\+/, "");
  }
  function show(v, f, now) {
    if (v === null || v === undefined) return "-";
    if (f === "text") {
      if (typeof v === "string") return v;
      if (typeof v === "boolean") return v ? "yes" : "no";
      if (typeof v === "number") return String(v);
      return "-";
    }
    if (typeof v !== "number") return "-";
    switch (f) {
      case "secs": return secs(v);
      case "unsigned": return unsigned(v);
      case "ns": return secs(v / 1e9);
      case "ago": return now === null ? "-" : fixed((now - v) / 1e9, 1) + " s ago";
      case "ago-ms": return now === null ? "-" : fixed((now - v * 1e6) / 1e9, 1) + " s ago";
      case "ppm": return signed(v, 3) + " ppm";
      case "whole-s": return fixed(v, 0) + " s";
      case "celsius": return fixed(v, 1) + " \u00b0C";
      case "octal": return v >= 0 && v % 1 === 0 ? ("00" + v.toString(8)).slice(-3) : "-";
    }
    return "-";
  }
  function get(doc, path) {
    var v = doc, segs = path.split(".");
    for (var i = 0; i < segs.length; i++) {
      if (v === null || typeof v !== "object") return null;
      var s = segs[i], eq = s.indexOf("=");
      if (eq >= 0) {
        if (!Array.isArray(v)) return null;
        var k = s.slice(0, eq), want = s.slice(eq + 1), hit = null;
        for (var j = 0; j < v.length; j++) {
          if (v[j] && v[j][k] === want) { hit = v[j]; break; }
        }
        v = hit;
      } else {
        v = Object.prototype.hasOwnProperty.call(v, s) ? v[s] : null;
      }
    }
    return v === undefined ? null : v;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fill(id, nodes, empty) {
    var box = document.getElementById(id);
    if (!box) return;
    while (box.firstChild) box.removeChild(box.firstChild);
    nodes.forEach(function (n) { box.appendChild(n); });
    if (!nodes.length && empty) box.appendChild(el("li", "none", empty));
  }
  function str(v) { return show(v === undefined ? null : v, "text", null); }

  function reasons(doc) {
    return (doc.reasons || []).map(function (r) {
      var li = el("li", "sev-" + str(r.severity));
      li.setAttribute("data-code", str(r.code));
      li.appendChild(el("b", null, str(r.severity)));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "msg", str(r.message)));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("code", null, str(r.code)));
      li.appendChild(el("div", "fix", "fix: " + str(r.fix)));
      return li;
    });
  }
  function sources(doc) {
    var cols = [["name", "text"], ["mode", "text"], ["state", "text"], ["reach", "octal"],
      ["last_offset_s", "secs"], ["last_error_s", "unsigned"]];
    return (get(doc, "chrony.sources.Ok") || []).map(function (s) {
      var tr = el("tr");
      cols.forEach(function (c) { tr.appendChild(el("td", null, show(s[c[0]], c[1], null))); });
      return tr;
    });
  }
  function sinks(doc) {
    return (get(doc, "timed.sinks") || []).map(function (s) {
      var li = el("li");
      li.appendChild(document.createTextNode(str(s.kind) + " " + str(s.target) + " "));
      li.appendChild(el("b", null, str(s.state)));
      li.appendChild(document.createTextNode(" \u00b7 sent " + str(s.sent) + " \u00b7 errors " +
        str(s.errors) + (typeof s.error === "string" ? " \u00b7 " + s.error : "")));
      return li;
    });
  }
  // html.rs `events`: newest first; the kind's own fields in sorted order, as the server's
  // JSON map has them.
  var EVENT_KEYS = ["seq", "at_unix_ms", "kind", "severity", "message"];
  function events(doc, now) {
    var list = get(doc, "timed.events.recent") || [];
    return list.slice().reverse().filter(function (e) { return e && typeof e === "object"; }).map(function (e) {
      var rest = Object.keys(e).sort().filter(function (k) { return EVENT_KEYS.indexOf(k) < 0; })
        .map(function (k) { return " \u00b7 " + k + " " + str(e[k]); }).join("");
      var sev = str(e.severity);
      var li = el("li", "sev-" + sev);
      li.appendChild(el("b", null, sev));
      li.appendChild(document.createTextNode(" " + str(e.kind) + " "));
      li.appendChild(el("span", "age", show(e.at_unix_ms === undefined ? null : e.at_unix_ms, "ago-ms", now)));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "msg", str(e.message)));
      li.appendChild(document.createTextNode(rest));
      return li;
    });
  }
  function sky(doc) {
    var nodes = [];
    (get(doc, "timed.receiver.satellites") || []).forEach(function (s) {
      var elv = s.elev_deg, az = s.azim_deg;
      if (typeof elv !== "number" || typeof az !== "number" || elv < 0 || elv > 90) return;
      var r = 100 * (90 - elv) / 90, rad = az * Math.PI / 180; // svg.rs
      var x = 110 + r * Math.sin(rad), y = 110 - r * Math.cos(rad);
      var g = svg("g", { "class": s.used ? "sat used" : "sat" });
      g.appendChild(svg("title", {}, str(s.gnss) + " " + str(s.svid) + " \u00b7 elevation " + elv +
        "\u00b0 azimuth " + az + "\u00b0 \u00b7 " + str(s.cno_dbhz) + " dBHz" + (s.used ? " \u00b7 used" : "")));
      g.appendChild(svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 5 }));
      g.appendChild(svg("text", { x: x.toFixed(1), y: (y - 7).toFixed(1), "text-anchor": "middle" }, str(s.svid)));
      nodes.push(g);
    });
    fill("sky-sats", nodes);
  }

  var chart = document.getElementById("chart"), points = [];
  if (chart) {
    (chart.getAttribute("data-pts") || "").split(" ").forEach(function (p) {
      var f = p.split(",");
      if (f.length === 3) points.push([+f[0], +f[1], f[2] === "" ? null : +f[2]]);
    });
  }
  function plot(doc) {
    var off = get(doc, "timed.pps.last_offset_ns"), edge = get(doc, "timed.pps.last_edge_ns");
    var jit = get(doc, "timed.stats.pps.windows.window=1m.stddev_s");
    if (!chart || off === null || edge === null) return;
    var t = edge / 1e9, last = points[points.length - 1];
    // data-pts has milliseconds: the same edge may read up to 0.5 ms later there.
    if (last && Math.abs(last[0] - t) < 0.001) return;
    if (last && last[0] > t) points = [];
    points.push([t, off, jit === null ? null : jit * 1e9]);
    while (points.length > CAPACITY || t - points[0][0] > SPAN_S) points.shift();
    // svg.rs chart_lines: offset scaled to its own range (at least 20 ns), σ from zero.
    var lo = Infinity, hi = -Infinity, jmax = 0;
    points.forEach(function (p) {
      lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]);
      jmax = Math.max(jmax, p[2] === null ? 0 : p[2]);
    });
    var mid = (lo + hi) / 2, half = Math.max((hi - lo) / 2, 10);
    lo = mid - half; hi = mid + half; jmax = Math.max(jmax, 10);
    var o = [], j = [];
    points.forEach(function (p) {
      var x = (320 - (t - p[0]) / SPAN_S * 320).toFixed(1);
      o.push(x + "," + (72 - (p[1] - lo) / (hi - lo) * 60).toFixed(1));
      if (p[2] !== null) j.push(x + "," + (118 - p[2] / jmax * 30).toFixed(1));
    });
    document.getElementById("chart-off").setAttribute("points", o.join(" "));
    document.getElementById("chart-jit").setAttribute("points", j.join(" "));
    document.getElementById("chart-top").textContent = "PPS offset, max " + secs(hi / 1e9);
    document.getElementById("chart-bot").textContent = "min " + secs(lo / 1e9);
    document.getElementById("chart-jmax").textContent = "jitter (1 min \u03c3), max " + unsigned(jmax / 1e9);
  }

  function update(doc) {
    var now = typeof doc.now_unix_ns === "number" ? doc.now_unix_ns : null;
    var fields = document.querySelectorAll("[data-p]");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      f.textContent = show(get(doc, f.getAttribute("data-p")), f.getAttribute("data-f"), now);
    }
    var v = str(doc.verdict);
    document.getElementById("verdict").className = "verdict v-" + v;
    document.title = "timed: " + v;
    fill("reasons", reasons(doc), "nothing to report");
    fill("sources", sources(doc));
    fill("sinks", sinks(doc));
    fill("events", events(doc, now), "none recorded");
    sky(doc);
    plot(doc);
    root.setAttribute("data-now", now === null ? "" : String(now));
  }

  var polls = 0, live = document.getElementById("live");
  function poll() {
    // Fetch and network errors are expected (timed restarting) and shown; an error in update()
    // is a bug and stays uncaught, so the browser reports it.
    fetch("status.json", { cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (doc) {
        update(doc);
        polls += 1;
        root.setAttribute("data-polls", String(polls));
        live.textContent = "live, every " + POLL_MS / 1000 + " s";
      }, function (e) {
        live.textContent = "not updating (" + e.message + "): retrying";
      })
      .finally(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
})();
