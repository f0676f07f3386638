// SisomCluster dashboard: plain JavaScript and SVG, served by the api role; no build step, no external files.
// It reads only the public API under /api/v1, with the API key as a Bearer header: the dashboard sees what any client sees.
(() => {
  "use strict";
  const svgNs = "http://www.w3.org/2000/svg";
  const fragmentKey = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fragmentKey) { sessionStorage.setItem("sisom-key", fragmentKey); history.replaceState(null, "", location.pathname + location.search); }
  const status = document.getElementById("status");

  async function get(path) {
    const key = sessionStorage.getItem("sisom-key");
    const response = await fetch(path, { headers: key ? { Authorization: "Bearer " + key } : {} });
    if (response.status === 401 || response.status === 403) {
      document.getElementById("key-form").hidden = false;
      throw new Error(response.status === 401 ? "an API key with the read scope is needed" : "this API key lacks the read scope");
    }
    if (!response.ok) { throw new Error(path + ": HTTP " + response.status); }
    return response.json();
  }

  const api = path => get("/api/v1/" + path);

  // Every item of a paged list, following next_page_token.
  async function all(path) {
    const items = [];
    let token = null;
    do {
      const page = await api(path + (path.includes("?") ? "&" : "?") + "page_size=1000" + (token ? "&page_token=" + encodeURIComponent(token) : ""));
      items.push(...page.items);
      token = page.next_page_token;
    } while (token);
    return items;
  }

  // A thumbnail; a 503 (every render slot of the api taken) is tried again after its Retry-After, a few times.
  async function image(path) {
    const key = sessionStorage.getItem("sisom-key");
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(path, { headers: key ? { Authorization: "Bearer " + key } : {} });
      if (response.status === 503 && attempt < 10) {
        const wait = Number(response.headers.get("Retry-After")) || 1;
        await new Promise(resolve => setTimeout(resolve, 1000 * wait));
        continue;
      }
      if (!response.ok) { throw new Error(path + ": HTTP " + response.status); }
      return URL.createObjectURL(await response.blob());
    }
  }

  document.getElementById("key-form").addEventListener("submit", e => {
    e.preventDefault();
    sessionStorage.setItem("sisom-key", document.getElementById("key").value);
    location.reload();
  });

  function el(name, attributes, parent) {
    const node = document.createElementNS(svgNs, name);
    for (const [k, v] of Object.entries(attributes)) { node.setAttribute(k, v); }
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function text(parent, x, y, value, anchor) {
    const t = el("text", { x, y, "text-anchor": anchor || "start" }, parent);
    t.textContent = value;
    return t;
  }

  // Axis titles: x under the axis, y rotated beside it (every chart has both, with units).
  function axisTitles(svg, w, hgt, xTitle, yTitle) {
    const x = text(svg, w / 2, hgt - 2, xTitle, "middle");
    x.setAttribute("class", "axis-title"); x.dataset.testid = "x-title";
    const y = text(svg, 0, 0, yTitle, "middle");
    y.setAttribute("class", "axis-title"); y.dataset.testid = "y-title";
    y.setAttribute("transform", `translate(10 ${hgt / 2}) rotate(-90)`);
  }

  const scoreNames = { sisom: "SISOM", sisome: "SISOMe", knn: "KNN", energy: "energy" };

  const fmt = v => Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(2);

  function histogram(svg, h) {
    svg.replaceChildren();
    const w = 360, hgt = 200, left = 46, bottom = 34, top = 8, right = 8;
    axisTitles(svg, w, hgt, `${scoreNames[h.score] || h.score} score (unitless; higher = more unusual)`, "items (count per bin)");
    if (h.min === null) { text(svg, w / 2, hgt / 2, "no finite scores", "middle"); return; }
    const max = Math.max(1, ...h.counts);
    const binW = (w - left - right) / h.counts.length;
    el("line", { x1: left, y1: hgt - bottom, x2: w - right, y2: hgt - bottom, class: "axis" }, svg);
    h.counts.forEach((c, i) => {
      const barH = (hgt - bottom - top) * c / max;
      el("rect", { x: left + i * binW, y: hgt - bottom - barH, width: Math.max(1, binW - 1), height: barH, class: "bin" }, svg);
    });
    text(svg, left, hgt - bottom + 12, fmt(h.min));
    text(svg, w - right, hgt - bottom + 12, fmt(h.max), "end");
    text(svg, left - 4, top + 8, String(max), "end");
    if (h.threshold !== null && h.max > h.min) {
      const x = left + (w - left - right) * Math.min(1, Math.max(0, (h.threshold - h.min) / (h.max - h.min)));
      el("line", { x1: x, y1: top, x2: x, y2: hgt - bottom, class: "threshold", "data-testid": "threshold" }, svg);
      text(svg, x + 3, top + 10, "threshold " + fmt(h.threshold));
    }
  }

  // Normal-approximation-free band: the Wilson 95 % interval of the rate 1 - q at the bucket's n.
  function wilson(p, n) {
    if (n === 0) { return [0, 1]; }
    const z = 1.959964, z2 = z * z, centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    const half = z * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
    return [Math.max(0, centre - half), Math.min(1, centre + half)];
  }

  // points: {bucket, scored, flagged, rate, lower, upper[, expected]}; options: the x title, the bucket label, the point testid.
  function oodRate(svg, points, quantile, options) {
    const o = Object.assign({ xTitle: "hour of capture (UTC; scoring time when an item has none)", label: b => b.slice(5, 13).replace("T", " "), testid: "ood-point" }, options);
    svg.replaceChildren();
    const w = 760, hgt = 240, left = 52, bottom = 40, top = 10, right = 10;
    axisTitles(svg, w, hgt, o.xTitle, "OOD rate (% of scored items)");
    const expected = 1 - quantile;
    const yMax = Math.min(1, Math.max(0.1, expected * 2, ...points.map(p => p.upper)) * 1.1);
    const y = v => hgt - bottom - (hgt - bottom - top) * v / yMax;
    const step = (w - left - right) / Math.max(1, points.length);
    const x = i => left + step * (i + 0.5);
    el("line", { x1: left, y1: y(0), x2: w - right, y2: y(0), class: "axis" }, svg);
    el("line", { x1: left, y1: top, x2: left, y2: y(0), class: "axis" }, svg);
    text(svg, left - 4, y(yMax) + 8, (100 * yMax).toFixed(0) + " %", "end");
    text(svg, left - 4, y(0), "0", "end");
    points.forEach((p, i) => {
      const [lo, hi] = wilson(p.expected ?? expected, p.scored);
      el("rect", { x: x(i) - step / 2, y: y(hi), width: step, height: Math.max(1, y(lo) - y(hi)), class: "band" }, svg);
    });
    el("line", { x1: left, y1: y(expected), x2: w - right, y2: y(expected), class: "expected" }, svg);
    points.forEach((p, i) => {
      el("line", { x1: x(i), y1: y(p.lower), x2: x(i), y2: y(p.upper), class: "whisker" }, svg);
      const c = el("circle", { cx: x(i), cy: y(p.rate), r: 4, class: "point", "data-testid": o.testid }, svg);
      el("title", {}, c).textContent = `${p.bucket}: ${p.flagged}/${p.scored} = ${(100 * p.rate).toFixed(1)} % [${(100 * p.lower).toFixed(1)}, ${(100 * p.upper).toFixed(1)}]`;
      if (points.length <= 24 || i % Math.ceil(points.length / 24) === 0) {
        text(svg, x(i), hgt - bottom + 14, o.label(p.bucket), "middle");
      }
    });
  }

  function cell(row, value) { const td = document.createElement("td"); td.textContent = value; row.appendChild(td); return td; }

  async function showRun(id) {
    const run = "runs/" + encodeURIComponent(id);
    const [summary, histograms, hourly, sourceRates, selection, classes] = await Promise.all([
      api(run), api(run + "/histograms"), all(run + "/drift?kind=hour"), all(run + "/drift?kind=source"), all(run + "/selection"), api(run + "/classes")]);
    classNames = classes.names;
    document.getElementById("run").hidden = false;
    document.getElementById("run-id").textContent = id;
    // Not completed: histograms and drift are the committed shards' (the API marks them partial); polled below.
    shownState = summary.state;
    document.getElementById("run-partial").hidden = !histograms.some(h => h.partial);
    for (const h of histograms) { histogram(document.getElementById("hist-" + h.score), h); }
    // A run without the KNN baseline (knn: false) has no knn histogram: its figure is hidden, not left empty.
    for (const svg of document.querySelectorAll("svg[id^='hist-']")) { svg.closest("figure").hidden = !histograms.some(h => "hist-" + h.score === svg.id); }
    oodRate(document.getElementById("ood-rate"), hourly, summary.quantile);
    const sources = document.querySelector("#sources tbody");
    sources.replaceChildren();
    for (const s of sourceRates) {
      const row = document.createElement("tr");
      cell(row, s.bucket); cell(row, s.scored); cell(row, s.flagged);
      cell(row, (100 * s.rate).toFixed(1) + " %"); cell(row, `${(100 * s.lower).toFixed(1)} – ${(100 * s.upper).toFixed(1)} %`);
      sources.appendChild(row);
    }
    const gallery = document.getElementById("gallery");
    gallery.replaceChildren();
    const pool = encodeURIComponent(summary.pool);
    for (const item of selection) {
      const tile = document.createElement("div");
      tile.className = "tile";
      tile.dataset.testid = "tile";
      const img = document.createElement("img");
      img.alt = item.item_id;
      // The API's thumbnail (item ids may hold slashes: each segment escaped). An <img> cannot send the API key:
      // the thumbnail is fetched with it and shown from a blob.
      const itemPath = item.item_id.split("/").map(encodeURIComponent).join("/");
      image(`/api/v1/pools/${pool}/thumbnails/${itemPath}?size=112`)
        .then(url => { img.src = url; }, () => { img.alt = item.item_id + " (no thumbnail)"; });
      tile.appendChild(img);
      const caption = document.createElement("div");
      caption.textContent = `#${item.rank} ${item.item_id} · SISOM ${fmt(item.score)} · ${className(item.predicted)}`;
      caption.dataset.testid = "tile-caption";
      tile.appendChild(caption);
      tile.addEventListener("click", () => showItem(id, summary.pool, item.item_id).catch(fail));
      gallery.appendChild(tile);
    }
    document.getElementById("item").hidden = true;
    showPoolDrift(summary.pool).catch(fail);
    status.textContent = `run ${id.slice(0, 8)}: ${summary.state}, ${selection.length} selected`;
  }

  let shown = null;
  let shownState = null;

  // ---- class names (GET /runs/{id}/classes: the model manifest's, or the label import's)
  let classNames = [];
  const className = i => (classNames && classNames[i]) || `class ${i}`;

  // ---- item detail with similar items (GET /runs/{id}/items/{item}, /runs/{id}/similar/{item})
  const itemPath = id => id.split("/").map(encodeURIComponent).join("/");

  function thumbnail(pool, itemId, img) {
    image(`/api/v1/pools/${encodeURIComponent(pool)}/thumbnails/${itemPath(itemId)}?size=112`)
      .then(url => { img.src = url; }, () => { img.alt = itemId + " (no thumbnail)"; });
  }

  async function showItem(runId, pool, itemId) {
    const run = "runs/" + encodeURIComponent(runId);
    const detail = await api(`${run}/items/${itemPath(itemId)}`);
    const panel = document.getElementById("item");
    panel.hidden = false;
    document.getElementById("item-id").textContent = itemId;
    thumbnail(pool, itemId, document.getElementById("item-image"));
    const body = document.querySelector("#item-table tbody");
    body.replaceChildren();
    const s = detail.scores;
    const rows = [["source", detail.source ?? "–"], ["captured", detail.captured_at ? new Date(detail.captured_at).toISOString() : "–"],
      ["label", detail.label === null ? "unlabeled" : className(detail.label)], ["selection rank", detail.selected_rank ?? "–"]];
    if (s) {
      rows.push(["predicted class", className(s.predicted)], ["SISOM", fmt(s.sisom)], ["SISOMe", fmt(s.sisome)], ["KNN", s.knn === null ? "–" : fmt(s.knn)],
        ["energy", fmt(s.energy)], ["flagged OOD by", Object.entries(s.flags).filter(([k, v]) => k.startsWith("ood_") && v).map(([k]) => k.slice(4)).join(", ") || "none"]);
    }
    for (const [k, v] of rows) { const row = document.createElement("tr"); cell(row, k); cell(row, v); body.appendChild(row); }
    const similar = document.getElementById("similar");
    similar.replaceChildren();
    const key = sessionStorage.getItem("sisom-key");
    const response = await fetch(`/api/v1/${run}/similar/${itemPath(itemId)}?k=6`, { headers: key ? { Authorization: "Bearer " + key } : {} });
    if (response.status === 409) { similar.textContent = "This run stored no embeddings (start it with store_embeddings), so there are no similar items."; return; }
    if (!response.ok) { throw new Error("similar items: HTTP " + response.status); }
    for (const n of (await response.json()).neighbours) {
      const tile = document.createElement("div");
      tile.className = "tile"; tile.dataset.testid = "similar-tile";
      const img = document.createElement("img");
      img.alt = n.item_id;
      thumbnail(pool, n.item_id, img);
      tile.appendChild(img);
      const caption = document.createElement("div");
      caption.textContent = `${n.item_id} · distance ${n.distance.toFixed(3)}`;
      tile.appendChild(caption);
      tile.addEventListener("click", () => showItem(runId, pool, n.item_id).catch(fail));
      similar.appendChild(tile);
    }
  }

  // ---- drift across the runs of the shown run's pool (GET /pools/{pool}/drift)
  async function showPoolDrift(pool) {
    const path = `pools/${encodeURIComponent(pool)}/drift?bucket=`;
    const [days, sources] = await Promise.all([all(path + "day"), all(path + "source")]);
    document.getElementById("pool-drift-section").hidden = false;
    document.getElementById("pool-name").textContent = pool;
    oodRate(document.getElementById("pool-drift"), days, days.length ? 1 - days[0].expected : 0.95,
      { xTitle: "day of capture (UTC)", label: b => b.slice(5), testid: "pool-drift-point" });
    const body = document.querySelector("#pool-sources tbody");
    body.replaceChildren();
    for (const s of sources) {
      const row = document.createElement("tr");
      cell(row, s.bucket); cell(row, s.scored); cell(row, s.flagged); cell(row, (100 * s.rate).toFixed(1) + " %");
      cell(row, `${(100 * s.lower).toFixed(1)} – ${(100 * s.upper).toFixed(1)} %`); cell(row, s.drift ? "yes" : "no");
      cell(row, s.run_id.slice(0, 8)); cell(row, s.runs);
      body.appendChild(row);
    }
  }

  // ---- compare two completed runs: OOD rate, thresholds, histogram overlay
  const ticked = new Set();

  function updateCompareButton() {
    const button = document.getElementById("compare-button");
    button.disabled = ticked.size !== 2;
  }

  document.getElementById("compare-button").addEventListener("click", () => showCompare(...ticked).catch(fail));

  function overlay(svg, score, pair) {
    svg.replaceChildren();
    const w = 360, hgt = 200, left = 46, bottom = 34, top = 8, right = 8;
    axisTitles(svg, w, hgt, `${scoreNames[score] || score} score (unitless)`, "share of items (% per bin)");
    const finite = pair.filter(p => p.h.min !== null);
    if (!finite.length) { text(svg, w / 2, hgt / 2, "no finite scores", "middle"); return; }
    const lo = Math.min(...finite.map(p => p.h.min)), hi = Math.max(...finite.map(p => p.h.max));
    const span = hi > lo ? hi - lo : 1;
    const x = v => left + (w - left - right) * (v - lo) / span;
    const shares = finite.map(p => { const total = p.h.counts.reduce((a, b) => a + b, 0) || 1; return p.h.counts.map(c => c / total); });
    const yMax = Math.max(0.01, ...shares.flat());
    const y = v => hgt - bottom - (hgt - bottom - top) * v / yMax;
    el("line", { x1: left, y1: y(0), x2: w - right, y2: y(0), class: "axis" }, svg);
    el("line", { x1: left, y1: top, x2: left, y2: y(0), class: "axis" }, svg);
    text(svg, left - 4, top + 8, (100 * yMax).toFixed(0) + " %", "end");
    text(svg, left, hgt - bottom + 12, fmt(lo));
    text(svg, w - right, hgt - bottom + 12, fmt(hi), "end");
    finite.forEach((p, r) => {
      const width = (p.h.max - p.h.min) / p.h.counts.length;
      const points = [];
      shares[r].forEach((v, i) => { const a = p.h.min + i * width; points.push(`${x(a)},${y(v)}`, `${x(a + width)},${y(v)}`); });
      el("polyline", { points: points.join(" "), class: p.css, "data-testid": "overlay-" + p.css }, svg);
      if (p.h.threshold !== null) {
        const t = x(Math.min(hi, Math.max(lo, p.h.threshold)));
        el("line", { x1: t, y1: top, x2: t, y2: y(0), class: "threshold-" + p.css.slice(-1) }, svg);
      }
    });
  }

  async function showCompare(a, b) {
    const load = async id => {
      const run = "runs/" + encodeURIComponent(id);
      const [summary, thresholds, sources, histograms] = await Promise.all([api(run), api(run + "/thresholds"), all(run + "/drift?kind=source"), api(run + "/histograms")]);
      return { id, summary, thresholds, sources, histograms };
    };
    const runs = await Promise.all([load(a), load(b)]);
    const section = document.getElementById("compare");
    section.hidden = false;
    const head = document.querySelector("#compare-table thead");
    head.replaceChildren();
    const top = document.createElement("tr");
    for (const t of ["", ...runs.map((r, i) => `run ${"AB"[i]} ${r.id.slice(0, 8)}`)]) { const th = document.createElement("th"); th.textContent = t; top.appendChild(th); }
    head.appendChild(top);
    const body = document.querySelector("#compare-table tbody");
    body.replaceChildren();
    const add = (label, values) => { const row = document.createElement("tr"); row.dataset.testid = "compare-row"; cell(row, label); values.forEach(v => cell(row, v)); body.appendChild(row); };
    add("pool", runs.map(r => r.summary.pool));
    add("model", runs.map(r => r.summary.model));
    add("completed", runs.map(r => r.summary.completed_at ? new Date(r.summary.completed_at).toISOString() : r.summary.state));
    add("OOD score, q", runs.map(r => `${r.summary.ood_score}, q = ${r.summary.quantile}`));
    add("OOD rate (95 % interval)", runs.map(r => {
      const scored = r.sources.reduce((n, s) => n + s.scored, 0), flagged = r.sources.reduce((n, s) => n + s.flagged, 0);
      if (!scored) { return "–"; }
      const [lo, hi] = wilson(flagged / scored, scored);
      return `${(100 * flagged / scored).toFixed(1)} % (${(100 * lo).toFixed(1)} – ${(100 * hi).toFixed(1)} %) of ${scored}`;
    }));
    const kinds = [...new Set(runs.flatMap(r => r.thresholds.map(t => t.score_kind)))].sort();
    for (const k of kinds) {
      add(`threshold ${scoreNames[k] || k}`, runs.map(r => { const t = r.thresholds.filter(x => x.score_kind === k).pop(); return t ? fmt(t.value) : "–"; }));
    }
    const charts = document.getElementById("compare-charts");
    charts.replaceChildren();
    for (const score of ["sisom", "sisome", "knn", "energy"]) {
      const pair = runs.map((r, i) => ({ h: r.histograms.find(h => h.score === score), css: "run-" + "ab"[i] })).filter(p => p.h);
      if (!pair.length) { continue; }
      const figure = document.createElement("figure");
      const caption = document.createElement("figcaption");
      caption.textContent = `${scoreNames[score]}: run A (blue) vs run B (orange)`;
      figure.appendChild(caption);
      const svg = el("svg", { class: "chart", viewBox: "0 0 360 200", "data-testid": "compare-hist-" + score }, figure);
      overlay(svg, score, pair);
      charts.appendChild(figure);
    }
  }

  // ---- Round history: GET /api/v1/rounds (newest first), one row per round; a round's run opens in the run view.
  async function renderRounds() {
    const rounds = (await api("rounds?page_size=50")).items;
    const section = document.getElementById("rounds");
    section.hidden = rounds.length === 0;
    const head = document.querySelector("#rounds-table thead");
    head.innerHTML = "<tr><th>round</th><th>pool</th><th>state</th><th>run</th><th>labels added</th><th>unchanged</th><th>budget</th><th>selected</th><th>started</th><th>completed</th></tr>";
    const body = document.querySelector("#rounds-table tbody");
    body.replaceChildren();
    for (const r of rounds) {
      const row = document.createElement("tr");
      row.dataset.round = r.id;
      cell(row, r.id); cell(row, r.pool || "–"); cell(row, r.state);
      const run = cell(row, "");
      if (r.run_id) {
        const link = document.createElement("a");
        link.href = "?run=" + r.run_id + location.hash; link.textContent = r.run_id.slice(0, 8);
        run.appendChild(link);
      }
      cell(row, r.labels_added); cell(row, r.labels_unchanged); cell(row, r.budget); cell(row, r.selected ?? "–");
      cell(row, new Date(r.created_at).toLocaleString()); cell(row, r.completed_at ? new Date(r.completed_at).toLocaleString() : "–");
      if (r.error) { row.title = r.error; }
      body.appendChild(row);
    }
    return rounds;
  }

  async function renderRuns() {
    const runs = (await api("runs?page_size=50")).items;
    const body = document.querySelector("#runs tbody");
    body.replaceChildren();
    for (const r of runs) {
      const row = document.createElement("tr");
      row.dataset.run = r.id;
      cell(row, r.id.slice(0, 8)); cell(row, r.pool); cell(row, r.state);
      const bar = cell(row, "");
      const p = r.progress || { items: 0, items_scored: 0, items_failed: 0, items_in_failed_shards: 0, items_done: 0 };
      const failed = p.items_failed + p.items_in_failed_shards;
      // items_done counts what an incremental run left out (scored before), so a finished run's bar is full.
      bar.innerHTML = `<span class="bar" data-testid="run-progress"><span style="width:${p.items ? (100 * p.items_done / p.items).toFixed(1) : 0}%"></span></span>`;
      cell(row, `${p.items_scored}/${p.items}`); cell(row, failed); cell(row, new Date(r.created_at).toLocaleString());
      const tick = document.createElement("input");
      tick.type = "checkbox"; tick.dataset.testid = "compare-tick"; tick.checked = ticked.has(r.id); tick.disabled = r.state !== "completed";
      tick.addEventListener("click", e => { e.stopPropagation(); if (tick.checked) { ticked.add(r.id); } else { ticked.delete(r.id); } updateCompareButton(); });
      cell(row, "").appendChild(tick);
      if (r.id === shown) { row.classList.add("selected"); }
      row.addEventListener("click", () => { for (const other of body.children) { other.classList.remove("selected"); } row.classList.add("selected"); shown = r.id; showRun(r.id).catch(fail); });
      body.appendChild(row);
    }
    return runs;
  }

  async function main() {
    const runs = await renderRuns();
    status.textContent = runs.length + " runs";
    await renderRounds();
    const compare = new URLSearchParams(location.search).get("compare");
    if (compare && compare.split(",").length === 2) {
      compare.split(",").forEach(id => ticked.add(id));
      updateCompareButton();
      await showCompare(...compare.split(","));
    }
    const wanted = new URLSearchParams(location.search).get("run") || (runs.find(r => r.state === "completed") || runs[0] || {}).id;
    if (wanted) {
      shown = wanted;
      const row = document.querySelector(`#runs tr[data-run="${wanted}"]`);
      if (row) { row.classList.add("selected"); }
      await showRun(wanted);
    }
    // Progress of running runs: the table refreshes while the page is visible.
    setInterval(() => {
      if (document.visibilityState !== "visible") { return; }
      renderRuns().catch(fail);
      if (shown && !["completed", "failed", "cancelled"].includes(shownState)) { showRun(shown).catch(fail); }
    }, 5000);
  }

  function fail(e) { status.textContent = e.message; status.className = "error"; }
  main().catch(fail);
})();
