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

  const fmt = v => Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(2);

  function histogram(svg, h) {
    svg.replaceChildren();
    const w = 360, hgt = 200, left = 34, bottom = 22, top = 8, right = 8;
    if (h.min === null) { text(svg, w / 2, hgt / 2, "no finite scores", "middle"); return; }
    const max = Math.max(1, ...h.counts);
    const binW = (w - left - right) / h.counts.length;
    el("line", { x1: left, y1: hgt - bottom, x2: w - right, y2: hgt - bottom, class: "axis" }, svg);
    h.counts.forEach((c, i) => {
      const barH = (hgt - bottom - top) * c / max;
      el("rect", { x: left + i * binW, y: hgt - bottom - barH, width: Math.max(1, binW - 1), height: barH, class: "bin" }, svg);
    });
    text(svg, left, hgt - 6, fmt(h.min));
    text(svg, w - right, hgt - 6, fmt(h.max), "end");
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

  function oodRate(svg, points, quantile) {
    svg.replaceChildren();
    const w = 760, hgt = 240, left = 40, bottom = 40, top = 10, right = 10;
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
      const [lo, hi] = wilson(expected, p.scored);
      el("rect", { x: x(i) - step / 2, y: y(hi), width: step, height: Math.max(1, y(lo) - y(hi)), class: "band" }, svg);
    });
    el("line", { x1: left, y1: y(expected), x2: w - right, y2: y(expected), class: "expected" }, svg);
    points.forEach((p, i) => {
      el("line", { x1: x(i), y1: y(p.lower), x2: x(i), y2: y(p.upper), class: "whisker" }, svg);
      const c = el("circle", { cx: x(i), cy: y(p.rate), r: 4, class: "point", "data-testid": "ood-point" }, svg);
      el("title", {}, c).textContent = `${p.bucket}: ${p.flagged}/${p.scored} = ${(100 * p.rate).toFixed(1)} % [${(100 * p.lower).toFixed(1)}, ${(100 * p.upper).toFixed(1)}]`;
      if (points.length <= 24 || i % Math.ceil(points.length / 24) === 0) {
        text(svg, x(i), hgt - bottom + 14, p.bucket.slice(5, 13).replace("T", " "), "middle");
      }
    });
  }

  function cell(row, value) { const td = document.createElement("td"); td.textContent = value; row.appendChild(td); return td; }

  async function showRun(id) {
    const run = "runs/" + encodeURIComponent(id);
    const [summary, histograms, hourly, sourceRates, selection] = await Promise.all([
      api(run), api(run + "/histograms"), all(run + "/drift?kind=hour"), all(run + "/drift?kind=source"), all(run + "/selection")]);
    document.getElementById("run").hidden = false;
    document.getElementById("run-id").textContent = id;
    // Not completed: histograms and drift are the committed shards' (the API marks them partial); polled below.
    shownState = summary.state;
    document.getElementById("run-partial").hidden = !histograms.some(h => h.partial);
    for (const h of histograms) { histogram(document.getElementById("hist-" + h.score), h); }
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
      caption.textContent = `#${item.rank} ${item.item_id} · SISOM ${fmt(item.score)} · class ${item.predicted}`;
      tile.appendChild(caption);
      gallery.appendChild(tile);
    }
    status.textContent = `run ${id.slice(0, 8)}: ${summary.state}, ${selection.length} selected`;
  }

  let shown = null;
  let shownState = null;

  async function renderRuns() {
    const runs = (await api("runs?page_size=50")).items;
    const body = document.querySelector("#runs tbody");
    body.replaceChildren();
    for (const r of runs) {
      const row = document.createElement("tr");
      row.dataset.run = r.id;
      cell(row, r.id.slice(0, 8)); cell(row, r.pool); cell(row, r.state);
      const bar = cell(row, "");
      const p = r.progress || { items: 0, items_scored: 0, items_failed: 0, items_in_failed_shards: 0 };
      const failed = p.items_failed + p.items_in_failed_shards;
      bar.innerHTML = `<span class="bar"><span style="width:${p.items ? (100 * (p.items_scored + failed) / p.items).toFixed(1) : 0}%"></span></span>`;
      cell(row, `${p.items_scored}/${p.items}`); cell(row, failed); cell(row, new Date(r.created_at).toLocaleString());
      if (r.id === shown) { row.classList.add("selected"); }
      row.addEventListener("click", () => { for (const other of body.children) { other.classList.remove("selected"); } row.classList.add("selected"); shown = r.id; showRun(r.id).catch(fail); });
      body.appendChild(row);
    }
    return runs;
  }

  async function main() {
    const runs = await renderRuns();
    status.textContent = runs.length + " runs";
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
