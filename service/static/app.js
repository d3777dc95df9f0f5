/* trialex curator page: send an abstract to POST v1/extract and show what came back.
 *
 * Offsets in the API are Python code-point offsets; JavaScript strings are UTF-16, so every
 * span goes through a code-point -> UTF-16 index map (cpMap) before the text is sliced.
 * Overlapping spans are nested (a crossing pair is cut into pieces); every mention ends with
 * its values written out (.val), not only in a tooltip.
 */
(function () {
  "use strict";

  var KINDS = [
    { key: "drugs", kind: "drug", name: "Drug", plural: "Drugs" },
    { key: "doses", kind: "dose", name: "Dose", plural: "Doses" },
    { key: "trial_sizes", kind: "size", name: "Trial size", plural: "Trial sizes" },
    { key: "response_rates", kind: "rate", name: "Response rate", plural: "Response rates" },
    { key: "p_values", kind: "p", name: "P value", plural: "P values" },
    { key: "effects", kind: "effect", name: "Effect", plural: "Effects" }
  ];
  var OPS = { "=": "=", "<": "<", ">": ">", "<=": "\u2264", ">=": "\u2265", "?": "?" };

  var state = { text: "", result: null, controller: null };
  var $ = function (id) { return document.getElementById(id); };

  // ------------------------------------------------------------------ small helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "class") node.className = v;
        else if (k === "text") node.textContent = v;
        else node.setAttribute(k, v === true ? "" : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function num(x) {
    if (typeof x !== "number" || !isFinite(x)) return String(x);
    return String(Math.round(x * 1e6) / 1e6);
  }

  function range(min, max) {
    return min === max || max === undefined || max === null ? num(min) : num(min) + "\u2013" + num(max);
  }

  /** cpMap(text)[i] = the UTF-16 index of code point i (length: code points + 1). */
  function cpMap(text) {
    var map = [0], u = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        var d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) { i++; u += 2; map.push(u); continue; }
      }
      u += 1;
      map.push(u);
    }
    return map;
  }

  function list(result, key) {
    var v = result && result[key];
    return Array.isArray(v) ? v : [];
  }

  // ------------------------------------------------------------------ what each mention says

  function drugName(result, i) {
    var d = list(result, "drugs")[i];
    return d ? (d.name || d.text) : null;
  }

  function pText(p) {
    if (!p) return "";
    var s = "p " + (OPS[p.operator] || p.operator || "=") + " " + num(p.value);
    return p.threshold ? s + " (threshold)" : s;
  }

  function doseText(d) {
    var n = d.normalized || {};
    var s = n.unit !== undefined ? range(n.min, n.max) + " " + n.unit : range(d.min, d.max) + " " + (d.unit || "");
    return s.trim();
  }

  function rateText(r) {
    var s = num(r.percent) + "%";
    if (r.numerator !== undefined && r.numerator !== null && r.denominator) s += " (" + r.numerator + "/" + r.denominator + ")";
    return s;
  }

  function effectText(e, result) {
    var s = (e.measure || "effect") + " " + num(e.value);
    if (e.ci_low !== undefined && e.ci_low !== null) {
      s += " (" + (e.ci_level ? num(e.ci_level) + "% " : "") + "CI " + num(e.ci_low) + "\u2013" + num(e.ci_high) + ")";
    }
    if (typeof e.p_value === "number" && result) {
      var p = list(result, "p_values")[e.p_value];
      if (p) s += ", " + pText(p);
    }
    return s;
  }

  /** The values of a mention, as shown beside it. */
  function label(kind, m, result) {
    switch (kind) {
      case "drug":
        return (m.class ? "class: " : "drug: ") + (m.name || m.text);
      case "dose": {
        var s = "dose: " + doseText(m);
        if (m.route) s += " \u00b7 " + m.route;
        if (m.frequency) s += " \u00b7 " + m.frequency;
        var dn = typeof m.drug === "number" ? drugName(result, m.drug) : null;
        if (dn) s += " \u2192 " + dn;
        return s;
      }
      case "size": {
        var t = "n = " + m.n;
        if (m.scope === "arm") t += " \u00b7 arm" + (m.arm ? ": " + m.arm : "");
        else if (m.scope) t += " \u00b7 " + m.scope;
        return t;
      }
      case "rate": {
        var r = rateText(m);
        if (m.outcome) r += " \u00b7 " + m.outcome;
        if (m.arm) r += " \u00b7 arm: " + m.arm;
        return r;
      }
      case "p":
        return pText(m);
      case "effect":
        return effectText(m, result);
    }
    return "";
  }

  function hatched(kind, m) {
    return (kind === "drug" && m.class === true) || (kind === "p" && m.threshold === true);
  }

  // ------------------------------------------------------------------ the highlighted text

  function mentionsOf(result, text, map) {
    var ncp = map.length - 1, out = [], bad = 0;
    var checks = list(result, "checks");
    KINDS.forEach(function (k, rank) {
      list(result, k.key).forEach(function (m, i) {
        if (!m || typeof m.start !== "number" || typeof m.end !== "number" || m.start < 0 || m.end > ncp || m.start >= m.end) {
          bad++;
          return;
        }
        out.push({ kind: k.kind, name: k.name, key: k.key, index: i, rank: rank, start: m.start, end: m.end,
                   m: m, label: label(k.kind, m, result), hatched: hatched(k.kind, m), flags: [],
                   id: "m-" + k.key + "-" + i });
      });
    });
    // a check flags the mentions whose span it names; a span no mention has exactly: those overlapping it
    checks.forEach(function (c) {
      (Array.isArray(c.spans) ? c.spans : []).forEach(function (s) {
        if (!Array.isArray(s)) return;
        var exact = out.filter(function (m) { return m.start === s[0] && m.end === s[1]; });
        var hit = exact.length ? exact : out.filter(function (m) { return m.start < s[1] && s[0] < m.end; });
        hit.forEach(function (m) { if (m.flags.indexOf(c) < 0) m.flags.push(c); });
      });
    });
    return { mentions: out, bad: bad };
  }

  /** Fill `container` with the text and nested <mark>s; crossing spans are cut into pieces. */
  function renderDoc(container, text, mentions, map) {
    var ncp = map.length - 1;
    var order = mentions.slice().sort(function (a, b) {
      return a.start - b.start || b.end - a.end || a.rank - b.rank || a.index - b.index;
    });
    var cuts = { 0: true };
    cuts[ncp] = true;
    order.forEach(function (m) { cuts[m.start] = true; cuts[m.end] = true; });
    var points = Object.keys(cuts).map(Number).sort(function (a, b) { return a - b; });

    var frag = document.createDocumentFragment();
    var stack = [];  // [{m, node}]
    var opened = {};
    var top = function () { return stack.length ? stack[stack.length - 1].node : frag; };

    function close(at) {
      var item = stack.pop(), m = item.m;
      if (m.end <= at) {
        var val = el("span", { class: "val" }, [m.label]);
        if (m.flags.length) val.insertBefore(el("span", { class: "warn", "aria-hidden": "true", text: "\u26a0\ufe0e " }), val.firstChild);
        item.node.appendChild(val);
      } else {
        item.node.classList.add("cont-right");
      }
    }

    function open(m) {
      var cls = "m k-" + m.kind + (m.hatched ? " hatched" : "") + (m.flags.length ? " flagged" : "");
      var title = m.name + (m.hatched ? (m.kind === "drug" ? " (a class, not one drug)" : " (a threshold, not a result)") : "") +
        ": " + m.label + (m.flags.length ? "\n\u26a0 " + m.flags.map(function (f) { return f.message; }).join("\n\u26a0 ") : "");
      var node = el("mark", { class: cls, title: title, "data-kind": m.kind, "data-index": String(m.index) });
      if (opened[m.id]) node.classList.add("cont-left");
      else { node.id = m.id; node.tabIndex = -1; opened[m.id] = true; }
      top().appendChild(node);
      stack.push({ m: m, node: node });
    }

    for (var k = 0; k + 1 < points.length; k++) {
      var a = points[k], b = points[k + 1];
      var cover = order.filter(function (m) { return m.start <= a && b <= m.end; });
      var p = 0;
      while (p < stack.length && p < cover.length && stack[p].m === cover[p]) p++;
      while (stack.length > p) close(a);
      for (var j = p; j < cover.length; j++) open(cover[j]);
      top().appendChild(document.createTextNode(text.slice(map[a], map[b])));
    }
    while (stack.length) close(ncp);
    container.textContent = "";
    container.appendChild(frag);
  }

  function renderLegend(ul, mentions, result) {
    ul.textContent = "";
    KINDS.forEach(function (k) {
      if (k.key === "effects" && !Array.isArray(result.effects)) return;  // an older server: no such kind
      var mine = mentions.filter(function (m) { return m.kind === k.kind; });
      var plain = mine.filter(function (m) { return !m.hatched; }).length;
      var li = el("li", { class: plain ? null : "zero" }, [
        el("span", { class: "swatch k-" + k.kind, "aria-hidden": "true" }),
        k.plural + ": ", el("span", { class: "count", text: String(plain) })]);
      ul.appendChild(li);
      var hat = mine.length - plain;
      if (k.kind === "drug" || k.kind === "p") {
        var hname = k.kind === "drug" ? "Drug classes" : "P thresholds";
        ul.appendChild(el("li", { class: hat ? null : "zero" }, [
          el("span", { class: "swatch hatched k-" + k.kind, "aria-hidden": "true" }),
          hname + " (hatched): ", el("span", { class: "count", text: String(hat) })]));
      }
    });
    var flagged = mentions.filter(function (m) { return m.flags.length; }).length;
    if (Array.isArray(result.checks)) {
      ul.appendChild(el("li", { class: flagged ? null : "zero" }, [
        el("span", { class: "swatch flag", "aria-hidden": "true" }),
        "In a warning (outlined, \u26a0): ", el("span", { class: "count", text: String(flagged) })]));
    }
    ul.appendChild(el("li", { class: "explain" }, [
      "Hatched with a dashed edge: a drug class (\u201ccorticosteroids\u201d, not one drug) or a significance " +
      "threshold (\u201cP < 0.05 was considered significant\u201d, not a result). Values are written after each " +
      "mention; a mention inside another is drawn inside it."]));
  }

  // ------------------------------------------------------------------ checks

  function quote(map, text, span) {
    var ncp = map.length - 1;
    if (!Array.isArray(span) || span[0] < 0 || span[1] > ncp || span[0] >= span[1]) return null;
    return text.slice(map[span[0]], map[span[1]]);
  }

  function markAt(mentions, span) {
    var hit = mentions.filter(function (m) { return m.start === span[0] && m.end === span[1]; })[0];
    return hit || mentions.filter(function (m) { return m.start < span[1] && span[0] < m.end; })[0];
  }

  function renderChecks(result, text, map, mentions) {
    var checks = list(result, "checks"), ul = $("checks");
    ul.textContent = "";
    $("checks-sec").hidden = !checks.length;
    $("checks-h").textContent = checks.length === 1 ? "1 consistency warning" : checks.length + " consistency warnings";
    checks.forEach(function (c) {
      var li = el("li", null, [el("strong", { text: c.message || c.check || "check" })]);
      var spans = (c.spans || []).map(function (s) {
        var q = quote(map, text, s);
        if (q === null) return null;
        var m = markAt(mentions, s);
        return m ? jumpLink(m.id, "\u201c" + q + "\u201d") : el("span", { text: "\u201c" + q + "\u201d" });
      }).filter(Boolean);
      if (spans.length) {
        li.appendChild(document.createTextNode(" \u2014 "));
        spans.forEach(function (n, i) { if (i) li.appendChild(document.createTextNode(", ")); li.appendChild(n); });
      }
      if (c.check) li.appendChild(el("span", { class: "code", text: " [" + c.check + "]" }));
      ul.appendChild(li);
    });
  }

  function jumpLink(id, textContent) {
    var a = el("a", { href: "#" + id, text: textContent });
    a.addEventListener("click", function (ev) {
      var target = document.getElementById(id);
      if (!target) return;
      ev.preventDefault();
      target.scrollIntoView({ block: "center", behavior: "smooth" });
      target.focus({ preventScroll: true });
      target.classList.remove("flash");
      void target.offsetWidth;
      target.classList.add("flash");
    });
    return a;
  }

  // ------------------------------------------------------------------ evidence table

  /** Rows of the evidence table: one per arm x outcome (an arm with no result: one row). */
  function tableRows(result) {
    var arms = list(result, "arms"), rows = [];
    var drugs = list(result, "drugs"), doses = list(result, "doses"), sizes = list(result, "trial_sizes");
    var rates = list(result, "response_rates"), effects = list(result, "effects"), pvals = list(result, "p_values");
    var ref = function (key, arr, i, fmt) { return arr[i] ? { id: "m-" + key + "-" + i, text: fmt(arr[i]) } : null; };
    arms.forEach(function (arm) {
      var seen = {};
      var armDrugs = (arm.drugs || []).map(function (i) { return ref("drugs", drugs, i, function (d) { return d.name || d.text; }); })
        .filter(function (r) { if (!r || seen[r.text]) return false; seen[r.text] = true; return true; });
      var armDoses = (arm.doses || []).map(function (i) { return ref("doses", doses, i, doseText); }).filter(Boolean);
      var n = typeof arm.n === "number" ? ref("trial_sizes", sizes, arm.n, function (s) { return String(s.n); }) : null;
      var eff = (arm.effects || []).map(function (i) { return ref("effects", effects, i, function (e) { return effectText(e, null); }); }).filter(Boolean);
      var ps = (arm.p_values || []).map(function (i) { return ref("p_values", pvals, i, pText); }).filter(Boolean);
      var results = Array.isArray(arm.results) && arm.results.length ? arm.results : [null];
      results.forEach(function (res, j) {
        var r = res && typeof res.response_rate === "number" ? rates[res.response_rate] : null;
        rows.push({
          arm: arm.label || "", first: j === 0, span: results.length,
          drugs: armDrugs, doses: armDoses, n: n, effects: eff, p_values: ps,
          outcome: res ? (res.outcome || (r && r.outcome) || "") : "",
          rate: r ? { id: "m-response_rates-" + res.response_rate, text: rateText(r) } : null,
          rateMention: r
        });
      });
    });
    return rows;
  }

  function cellOf(refs, cls) {
    var td = el("td", { class: cls || null });
    refs = (Array.isArray(refs) ? refs : [refs]).filter(Boolean);
    if (!refs.length) { td.appendChild(el("span", { class: "empty", text: "\u2014" })); return td; }
    refs.forEach(function (r, i) {
      if (i) td.appendChild(el("br"));
      td.appendChild(document.getElementById(r.id) ? jumpLink(r.id, r.text) : el("span", { text: r.text }));
    });
    return td;
  }

  function renderTable(result) {
    var has = Array.isArray(result.arms) && result.arms.length > 0;
    $("table-wrap").hidden = !has;
    $("table-none").hidden = has;
    $("dl-csv").disabled = !has;
    $("dl-csv").title = has ? "" : "This result has no arms, so there is no table to download.";
    var tbody = $("tbody");
    tbody.textContent = "";
    if (!has) return;
    tableRows(result).forEach(function (row) {
      var tr = el("tr");
      if (row.first) {
        var rs = row.span > 1 ? String(row.span) : null;
        tr.appendChild(el("th", { scope: "rowgroup", rowspan: rs, text: row.arm || "(unnamed arm)" }));
        [cellOf(row.drugs), cellOf(row.doses), cellOf(row.n, "num")].forEach(function (td) {
          if (rs) td.setAttribute("rowspan", rs);
          tr.appendChild(td);
        });
      }
      tr.appendChild(el("td", { text: row.outcome || "" }));
      tr.appendChild(cellOf(row.rate, "num"));
      if (row.first) {
        [cellOf(row.effects), cellOf(row.p_values, "num")].forEach(function (td) {
          if (row.span > 1) td.setAttribute("rowspan", String(row.span));
          tr.appendChild(td);
        });
      }
      tbody.appendChild(tr);
    });
  }

  function csvOf(result) {
    var head = ["arm", "drugs", "doses", "n", "outcome", "responders", "total", "percent", "response_text",
                "effects", "p_values"];
    var esc = function (v) {
      var s = v === null || v === undefined ? "" : String(v);
      return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    var texts = function (refs) { return (Array.isArray(refs) ? refs : [refs]).filter(Boolean).map(function (r) { return r.text; }).join("; "); };
    var lines = [head.join(",")];
    tableRows(result).forEach(function (row) {
      var r = row.rateMention;
      lines.push([row.arm, texts(row.drugs), texts(row.doses), row.n ? row.n.text : "", row.outcome,
        r && r.numerator !== undefined ? r.numerator : "", r && r.denominator !== undefined ? r.denominator : "",
        r ? r.percent : "", r ? r.text : "", texts(row.effects), texts(row.p_values)].map(esc).join(","));
    });
    return "\ufeff" + lines.join("\r\n") + "\r\n";  // BOM: spreadsheet programs then read the Japanese right
  }

  function download(name, type, content) {
    var url = URL.createObjectURL(new Blob([content], { type: type }));
    var a = el("a", { href: url, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  function baseName() {
    var id = state.result && state.result.id;
    return "trialex-" + (id ? String(id).replace(/[^\w.-]+/g, "_").slice(0, 60) : new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-"));
  }

  // ------------------------------------------------------------------ the whole result

  function show(result, text) {
    state.result = result;
    state.text = text;
    var map = cpMap(text);
    var got = mentionsOf(result, text, map);
    var doc = $("doc");
    doc.lang = result.lang === "en" ? "en" : "ja";
    renderDoc(doc, text, got.mentions, map);
    renderLegend($("legend"), got.mentions, result);
    renderChecks(result, text, map, got.mentions);
    renderTable(result);
    var meta = result.meta || {};
    var bits = ["language: " + (result.lang || "?"), got.mentions.length + " mentions"];
    if (Array.isArray(result.arms)) bits.push(result.arms.length + (result.arms.length === 1 ? " arm" : " arms"));
    if (meta.model_version) bits.push(meta.model_version);
    if (typeof meta.elapsed_ms === "number") bits.push(Math.round(meta.elapsed_ms) + " ms");
    if (got.bad) bits.push(got.bad + " mentions with offsets outside the text (not shown)");
    $("summary").textContent = bits.join(" \u00b7 ");
    $("result").hidden = false;
    var nchecks = list(result, "checks").length;
    setStatus("Done: " + got.mentions.length + " mentions" +
      (nchecks ? ", " + nchecks + (nchecks === 1 ? " consistency warning" : " consistency warnings") : "") + ".");
  }

  // ------------------------------------------------------------------ talking to the API

  function setStatus(s) { $("status").textContent = s; }

  function setAlert(s) { $("alert").textContent = s || ""; }

  function errorText(status, body, raw) {
    var msg = "";
    if (body && typeof body === "object") {
      if (body.error !== undefined) {
        var e = body.error;
        msg = typeof e === "string" ? e : [e.message || e.detail || "", e.code ? "(" + e.code + ")" : ""].join(" ").trim() || JSON.stringify(e);
      } else if (body.detail !== undefined) {
        var d = body.detail;
        if (typeof d === "string") msg = d;
        else if (Array.isArray(d)) {
          msg = d.map(function (x) {
            if (!x || typeof x !== "object") return String(x);
            var loc = Array.isArray(x.loc) ? x.loc.filter(function (p) { return p !== "body"; }).join(".") : "";
            return (loc ? loc + ": " : "") + (x.msg || JSON.stringify(x));
          }).join("\n");
        } else msg = JSON.stringify(d);
      }
    }
    if (!msg) msg = raw ? raw.slice(0, 500) : "no details";
    var hint = { 401: " Enter the API key under \u201cAPI key\u201d.", 403: " Check the API key under \u201cAPI key\u201d.",
                 413: " The text is longer than this server accepts.", 503: " The server is busy or still loading; try again shortly." }[status] || "";
    return "Error " + status + ": " + msg + hint;
  }

  function submit() {
    var text = $("text").value;
    setAlert("");
    if (!text.trim()) {
      setAlert("There is no text to extract from: paste an abstract or open a file first.");
      $("text").focus();
      return;
    }
    if (state.controller) state.controller.abort();
    var controller = new AbortController();
    state.controller = controller;
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    var key = $("apikey").value.trim();
    if (key) headers["X-API-Key"] = key;
    $("submit").disabled = true;
    $("result").setAttribute("aria-busy", "true");
    setStatus("Extracting\u2026");
    fetch("v1/extract", { method: "POST", headers: headers, signal: controller.signal,
                          body: JSON.stringify({ text: text, lang: $("lang").value }) })
      .then(function (resp) {
        return resp.text().then(function (raw) {
          var body = null;
          try { body = raw ? JSON.parse(raw) : null; } catch (e) { body = null; }
          if (!resp.ok) throw new Error(errorText(resp.status, body, raw));
          if (!body || typeof body !== "object") throw new Error("The server answered with something that is not JSON.");
          show(body, text);
        });
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") return;
        setStatus("");
        setAlert(err && err.message && /^Error \d/.test(err.message) ? err.message
          : "The request failed: " + (err && err.message ? err.message : err) + (err instanceof TypeError ? " (is the server running?)" : ""));
      })
      .then(function () {
        if (state.controller === controller) {
          state.controller = null;
          $("submit").disabled = false;
          $("result").removeAttribute("aria-busy");
        }
      });
  }

  // ------------------------------------------------------------------ files

  function textFromFile(name, content) {
    content = content.replace(/^\ufeff/, "");
    if (/\.(jsonl|ndjson)$/i.test(name) || /\.json$/i.test(name)) {
      var first = /\.json$/i.test(name) ? content : content.split(/\r?\n/).filter(function (l) { return l.trim(); })[0];
      if (first === undefined) throw new Error(name + " is empty.");
      var obj;
      try { obj = JSON.parse(first); } catch (e) { throw new Error("The first line of " + name + " is not JSON: " + e.message); }
      if (!obj || typeof obj.text !== "string") throw new Error("The first line of " + name + " has no \"text\" string.");
      return obj.text;
    }
    return content;
  }

  function loadFile(file) {
    if (!file) return;
    setAlert("");
    file.text().then(function (content) {
      var text = textFromFile(file.name, content);
      var ta = $("text");
      ta.value = text;
      syncLang();
      setStatus("Loaded " + file.name + " (" + Array.from(text).length + " characters). Press Extract or Ctrl+Enter.");
      ta.focus();
    }).catch(function (err) {
      setAlert("Could not read " + file.name + ": " + (err && err.message ? err.message : err));
    });
  }

  function syncLang() {
    var ta = $("text"), v = $("lang").value;
    ta.lang = v !== "auto" ? v : /[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]/.test(ta.value) ? "ja" : "";
  }

  // ------------------------------------------------------------------ wiring

  function init() {
    $("form").addEventListener("submit", function (ev) { ev.preventDefault(); submit(); });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && !ev.altKey) {
        ev.preventDefault();
        submit();
      }
    });
    $("file").addEventListener("change", function (ev) { loadFile(ev.target.files[0]); ev.target.value = ""; });
    $("lang").addEventListener("change", syncLang);
    $("text").addEventListener("input", syncLang);

    var zone = $("dropzone"), depth = 0;
    var hasFiles = function (ev) { return ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types || [], "Files") >= 0; };
    zone.addEventListener("dragenter", function (ev) { if (hasFiles(ev)) { depth++; zone.classList.add("dragging"); } });
    zone.addEventListener("dragleave", function (ev) { if (hasFiles(ev) && --depth <= 0) { depth = 0; zone.classList.remove("dragging"); } });
    zone.addEventListener("dragover", function (ev) { if (hasFiles(ev)) { ev.preventDefault(); ev.dataTransfer.dropEffect = "copy"; } });
    zone.addEventListener("drop", function (ev) {
      depth = 0;
      zone.classList.remove("dragging");
      if (hasFiles(ev) && ev.dataTransfer.files.length) {  // plain dropped text: the browser's own drop
        ev.preventDefault();
        loadFile(ev.dataTransfer.files[0]);
      }
    });
    // a file dropped next to the box would otherwise replace the page
    window.addEventListener("dragover", function (ev) { if (hasFiles(ev)) ev.preventDefault(); });
    window.addEventListener("drop", function (ev) { if (hasFiles(ev)) ev.preventDefault(); });

    $("dl-json").addEventListener("click", function () {
      if (state.result) download(baseName() + ".json", "application/json", JSON.stringify(state.result, null, 2) + "\n");
    });
    $("dl-csv").addEventListener("click", function () {
      if (state.result && Array.isArray(state.result.arms)) download(baseName() + ".csv", "text/csv;charset=utf-8", csvOf(state.result));
    });
  }

  // for tests and the console: render a result over its text without calling the API
  window.trialexPage = { show: show, cpMap: cpMap, csv: csvOf, textFromFile: textFromFile };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
