/* Rasad live map (runs inside QtWebEngine; talks to widgets/map_bridge.py over QWebChannel).
 *
 * Live entities arrive as one base64 binary batch at a time (layout: console/mapwire.py) and live in
 * typed arrays indexed by slot; one canvas in the "rasadLive" pane draws them from pre-rendered
 * sprites. Vehicle clusters are computed in Python (console/clustering.py) and only drawn here.
 * Feature layers (alarms, CAP areas, geofences, plugin layers) arrive as GeoJSON diffs.
 * Nothing here calls the network: every URL is rasad:, data: or the configured XYZ template.
 */
(function () {
  "use strict";
  const R = (window.RasadMap = {});
  const NO_HEADING = 0xffff;
  const MAGIC = 0x31534d52;
  const TWO_PI = Math.PI * 2;
  const FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹";

  let map, cfg, P, bridge = null;
  let districts, roads;
  const roadById = new Map();
  // ---- entity store (typed arrays by slot) ----
  let cap = 0, high = 0;
  let lat, lon, px, py, hd, sty, alive, single;
  let ids = [];
  let projZoom = -1;
  let clusterMode = 0, clusters = null;
  let selectedSlot = -1;
  const visible = { bus: true, taxi: true, service: true, sensors: true, segments: true, reports: true };
  const kindName = {};
  const kindDrawn = {};
  // ---- stats for the benchmark and tests ----
  const stats = { batches: 0, applyMs: [], drawMs: [], frames: [], lastSeq: 0, clicks: 0, drawn: 0, clustersDrawn: 0 };
  const keep = (arr, v) => { arr.push(v); if (arr.length > 600) arr.splice(0, arr.length - 600); };

  function grow(n) {
    if (n <= cap) return;
    let c = Math.max(1024, cap);
    while (c < n) c *= 2;
    const g = (Type, old, fill) => { const a = new Type(c); if (fill !== undefined) a.fill(fill); if (old) a.set(old); return a; };
    lat = g(Float32Array, lat); lon = g(Float32Array, lon);
    px = g(Float64Array, px, NaN); py = g(Float64Array, py, NaN);
    hd = g(Uint16Array, hd); sty = g(Uint16Array, sty); alive = g(Uint8Array, alive); single = g(Uint8Array, single);
    cap = c;
  }

  // ---- projection (web mercator world pixels, same as Leaflet's map.project) ----
  function project(s, zoom) {
    const scale = 256 * Math.pow(2, zoom);
    const la = Math.max(-85.0511, Math.min(85.0511, lat[s]));
    const sn = Math.sin(la * Math.PI / 180);
    px[s] = (lon[s] + 180) / 360 * scale;
    py[s] = (0.5 - Math.log((1 + sn) / (1 - sn)) / (4 * Math.PI)) * scale;
  }
  function projectLL(la, lo, zoom) {
    const scale = 256 * Math.pow(2, zoom);
    const sn = Math.sin(Math.max(-85.0511, Math.min(85.0511, la)) * Math.PI / 180);
    return [(lo + 180) / 360 * scale, (0.5 - Math.log((1 + sn) / (1 - sn)) / (4 * Math.PI)) * scale];
  }
  function reprojectAll() {
    const z = map.getZoom();
    for (let s = 0; s < high; s++) if (alive[s]) project(s, z);
    projZoom = z;
  }

  // ---- batch decoding (console/mapwire.py) ----
  function b64bytes(b64) {
    const bin = atob(b64);
    const n = bin.length;
    const out = new Uint8Array(n + ((4 - (n % 4)) % 4));
    for (let i = 0; i < n; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function decode(b64) {
    const buf = b64bytes(b64);
    const h = new Uint32Array(buf, 0, 12);
    if (h[0] !== MAGIC) throw new Error("bad batch magic");
    const nUp = h[2], nRm = h[3], nAdd = h[4], nId = h[5], mode = h[6], nCl = h[7], nSingle = h[8];
    let off = 48;
    const take = (Type, n) => { const a = new Type(buf, off, n); off += a.byteLength; off += (4 - (off % 4)) % 4; return a; };
    const b = { seq: h[1], mode: mode, zoom100: h[9] };
    b.upSlot = take(Uint32Array, nUp); b.upLat = take(Float32Array, nUp); b.upLon = take(Float32Array, nUp);
    b.upHd = take(Uint16Array, nUp); b.upSty = take(Uint16Array, nUp);
    b.rmSlot = take(Uint32Array, nRm); b.addSlot = take(Uint32Array, nAdd);
    const idBytes = new Uint8Array(buf, off, nId); off += nId; off += (4 - (off % 4)) % 4;
    b.addIds = nId ? new TextDecoder("utf-8").decode(idBytes).split("\n") : [];
    if (mode === 1) {
      b.cLat = take(Float32Array, nCl); b.cLon = take(Float32Array, nCl); b.cCount = take(Uint32Array, nCl);
      b.cMix = take(Uint32Array, nCl * 3); b.single = take(Uint32Array, nSingle);
    }
    return b;
  }

  function apply(b) {
    let maxSlot = high;
    for (let i = 0; i < b.upSlot.length; i++) maxSlot = Math.max(maxSlot, b.upSlot[i] + 1);
    grow(maxSlot);
    high = maxSlot;
    for (let i = 0; i < b.addSlot.length; i++) ids[b.addSlot[i]] = b.addIds[i];
    for (let i = 0; i < b.rmSlot.length; i++) {
      const s = b.rmSlot[i];
      alive[s] = 0;
      if (s === selectedSlot) selectedSlot = -1;
      const k = sty[s] & P.kindMask;
      if (kindName[k] === "segment") restyleRoad(ids[s], -1);
    }
    const z = map.getZoom();
    for (let i = 0; i < b.upSlot.length; i++) {
      const s = b.upSlot[i];
      lat[s] = b.upLat[i]; lon[s] = b.upLon[i]; hd[s] = b.upHd[i]; sty[s] = b.upSty[i]; alive[s] = 1;
      if (projZoom === z) project(s, z);
      if (kindName[sty[s] & P.kindMask] === "segment") restyleRoad(ids[s], sty[s]);
    }
    clusterMode = b.mode;
    if (b.mode === 1) {
      single.fill(0);
      for (let i = 0; i < b.single.length; i++) single[b.single[i]] = 1;
      clusters = { lat: b.cLat, lon: b.cLon, count: b.cCount, mix: b.cMix, zoom100: b.zoom100 };
    } else {
      clusters = null;
    }
  }

  // ---- segments: restyle the folium roads layer by id ----
  function restyleRoad(id, code) {
    const layer = roadById.get(id);
    if (!layer) return;
    layer._rasadCode = code;
    if (code < 0 || !visible.segments) {
      layer.setStyle(layer._rasadBase);
      return;
    }
    const level = (code >> P.levelShift) & 7;
    const stale = (code & P.staleBit) !== 0;
    const colour = stale ? P.stale : level === 7 ? P.segmentNoData : P.segment[Math.min(level, 3)];
    layer.setStyle({ color: colour, weight: Math.max(3, layer._rasadBase.weight + 1), opacity: stale ? 0.6 : 0.95,
      dashArray: stale ? "4 6" : null });
  }

  // ---- sprites ----
  const sprites = new Map();
  const DPR = window.devicePixelRatio || 1;
  function colourOf(code) {
    const kind = kindName[code & P.kindMask];
    const level = (code >> P.levelShift) & 7;
    if (code & P.staleBit) return P.stale;
    if (kind in P.fleet) return P.fleet[kind];
    if (kind === "report") return P.report;
    return level === 7 ? P.stale : P.level[Math.min(level, 3)];
  }
  function sprite(code, bucket) {
    const key = code * 64 + bucket;
    let c = sprites.get(key);
    if (c) return c;
    const kind = kindName[code & P.kindMask];
    const level = (code >> P.levelShift) & 7;
    const stale = (code & P.staleBit) !== 0;
    const size = kindDrawn[code & P.kindMask] === "vehicle" ? 18 : 16;
    c = document.createElement("canvas");
    c.width = c.height = Math.ceil(size * DPR);
    const g = c.getContext("2d");
    g.scale(DPR, DPR);
    g.translate(size / 2, size / 2);
    const fill = colourOf(code);
    g.lineWidth = 1.2;
    g.strokeStyle = "rgba(0,0,0,0.85)";
    g.fillStyle = fill;
    if (kindDrawn[code & P.kindMask] === "vehicle") {
      if (level >= 1 && level < 7 && !stale) {
        g.beginPath(); g.arc(0, 0, 8, 0, TWO_PI);
        g.fillStyle = P.level[Math.min(level, 3)]; g.globalAlpha = 0.55; g.fill(); g.globalAlpha = 1; g.fillStyle = fill;
      }
      if (bucket === 63) {
        g.beginPath(); g.arc(0, 0, 4.2, 0, TWO_PI); g.fill(); g.stroke();
      } else {
        g.rotate(bucket * 10 * Math.PI / 180);
        g.beginPath(); g.moveTo(0, -7); g.lineTo(5, 5.5); g.lineTo(0, 3); g.lineTo(-5, 5.5); g.closePath();
        g.fill(); g.stroke();
      }
    } else if (kind === "report") {
      if (level >= 2 && level < 7 && !stale) {
        g.beginPath(); g.arc(0, 0, 8, 0, TWO_PI);
        g.fillStyle = P.level[Math.min(level, 3)]; g.globalAlpha = 0.6; g.fill(); g.globalAlpha = 1; g.fillStyle = fill;
      }
      g.beginPath(); g.moveTo(0, -7); g.lineTo(6.5, 5.5); g.lineTo(-6.5, 5.5); g.closePath(); g.fill(); g.stroke();
      g.fillStyle = "#fff"; g.fillRect(-0.8, -3, 1.6, 4.5); g.fillRect(-0.8, 2.6, 1.6, 1.6);
    } else {
      shape(g, kind); g.fill(); g.stroke();
      if (stale) { g.strokeStyle = "#e6edf3"; g.beginPath(); g.moveTo(-3, 3); g.lineTo(3, -3); g.stroke(); }
    }
    c._half = c.width / DPR / 2;
    sprites.set(key, c);
    return c;
  }
  function shape(g, kind) {
    g.beginPath();
    switch (kind) {
      case "parking": g.rect(-5.5, -5.5, 11, 11); break;
      case "water": g.moveTo(0, 6.5); g.lineTo(6, -4.5); g.lineTo(-6, -4.5); g.closePath(); break;
      case "substation": g.moveTo(0, -7); g.lineTo(6, 0); g.lineTo(0, 7); g.lineTo(-6, 0); g.closePath(); break;
      case "solar": for (let i = 0; i < 10; i++) { const r = i % 2 ? 3 : 6.5, a = i * Math.PI / 5; g.lineTo(r * Math.sin(a), -r * Math.cos(a)); } g.closePath(); break;
      case "weather": for (let i = 0; i < 6; i++) { const a = i * Math.PI / 3; g.lineTo(6 * Math.cos(a), 6 * Math.sin(a)); } g.closePath(); break;
      case "element": g.rect(-4, -4, 8, 8); break;
      default: g.arc(0, 0, 5.5, 0, TWO_PI);
    }
  }

  // ---- the live canvas layer ----
  const PAD = 0.25;
  let canvas, ctx, topLeft = L.point(0, 0), drawPending = false, hidden = false;
  let drawnSlot = new Int32Array(0), drawnX = new Float32Array(0), drawnY = new Float32Array(0), drawnN = 0;
  let clusterHit = [];
  const LiveLayer = L.Layer.extend({
    onAdd: function (m) {
      canvas = L.DomUtil.create("canvas", "rasad-live");
      ctx = canvas.getContext("2d");
      m.getPane("rasadLive").appendChild(canvas);
      m.on("moveend resize viewreset", resetCanvas);
      m.on("zoomstart", function () { hidden = true; canvas.style.visibility = "hidden"; });
      m.on("zoomend", function () { hidden = false; canvas.style.visibility = ""; resetCanvas(); });
      resetCanvas();
    },
  });
  function resetCanvas() {
    const size = map.getSize();
    const w = Math.round(size.x * (1 + 2 * PAD)), h = Math.round(size.y * (1 + 2 * PAD));
    if (canvas.width !== Math.round(w * DPR) || canvas.height !== Math.round(h * DPR)) {
      canvas.width = Math.round(w * DPR); canvas.height = Math.round(h * DPR);
      canvas.style.width = w + "px"; canvas.style.height = h + "px";
    }
    topLeft = map.containerPointToLayerPoint([-size.x * PAD, -size.y * PAD]).round();
    L.DomUtil.setPosition(canvas, topLeft);
    requestDraw();
  }
  function requestDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(function (ts) {
      drawPending = false;
      if (!hidden) draw();
    });
  }
  function isVehicle(k) { return kindDrawn[k] === "vehicle"; }
  function kindVisible(k) {
    const name = kindName[k];
    if (name in visible) return visible[name];
    if (kindDrawn[k] === "sensor") return visible.sensors && visible["sensor." + name] !== false;
    return true;
  }
  function draw() {
    const t0 = performance.now();
    const z = map.getZoom();
    if (projZoom !== z) reprojectAll();
    ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
    const W = canvas.width / DPR, H = canvas.height / DPR;
    ctx.clearRect(0, 0, W, H);
    const origin = map.getPixelOrigin();
    const offX = origin.x + topLeft.x, offY = origin.y + topLeft.y;
    if (drawnSlot.length < high) { drawnSlot = new Int32Array(cap); drawnX = new Float32Array(cap); drawnY = new Float32Array(cap); }
    let n = 0;
    const useClusters = clusterMode === 1 && clusters && clusters.zoom100 === Math.round(z * 100);
    const vis = {};
    for (const k in kindName) vis[k] = kindVisible(+k);
    for (let s = 0; s < high; s++) {
      if (!alive[s]) continue;
      const code = sty[s];
      const k = code & P.kindMask;
      if (!vis[k] || kindDrawn[k] === "segment") continue;
      if (useClusters && kindDrawn[k] === "vehicle" && !single[s]) continue;
      const x = px[s] - offX, y = py[s] - offY;
      if (x < -12 || y < -12 || x > W + 12 || y > H + 12) continue;
      const bucket = kindDrawn[k] === "vehicle" ? (hd[s] === NO_HEADING ? 63 : Math.round(hd[s] / 10) % 36) : 0;
      const sp = sprite(code, bucket);
      if (DPR === 1) {
        ctx.drawImage(sp, (x - sp._half) | 0, (y - sp._half) | 0);  // whole pixels, no scaling: the fast path
      } else {
        ctx.drawImage(sp, x - sp._half, y - sp._half, sp.width / DPR, sp.height / DPR);
      }
      drawnSlot[n] = s; drawnX[n] = x; drawnY[n] = y; n++;
    }
    drawnN = n;
    clusterHit = [];
    stats.clustersDrawn = 0;
    if (useClusters) drawClusters(offX, offY, W, H, z);
    if (selectedSlot >= 0 && alive[selectedSlot]) {
      const x = px[selectedSlot] - offX, y = py[selectedSlot] - offY;
      ctx.beginPath(); ctx.arc(x, y, 13, 0, TWO_PI);
      ctx.lineWidth = 3; ctx.strokeStyle = "#ffffff"; ctx.stroke();
      ctx.lineWidth = 1.5; ctx.strokeStyle = "#ff006e"; ctx.stroke();
    }
    stats.drawn = n;
    const ms = performance.now() - t0;
    keep(stats.drawMs, ms);
    return ms;
  }
  function digits(n) {
    const s = String(n);
    return cfg.lang === "fa" ? s.replace(/[0-9]/g, (d) => FA_DIGITS[+d]) : s;
  }
  function drawClusters(offX, offY, W, H, z) {
    const fleets = ["bus", "taxi", "service"];
    const c = clusters;
    ctx.font = "bold 12px 'Vazirmatn', 'Noto Sans Arabic', 'DejaVu Sans', sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    let drawn = 0;
    for (let i = 0; i < c.count.length; i++) {
      const p = projectLL(c.lat[i], c.lon[i], z);
      const x = p[0] - offX, y = p[1] - offY;
      const r = Math.min(26, 9 + 6 * Math.log10(c.count[i]));
      if (x < -r || y < -r || x > W + r || y > H + r) continue;
      let a0 = -Math.PI / 2;
      const total = c.count[i];
      for (let f = 0; f < 3; f++) {
        const m = c.mix[i * 3 + f];
        if (!m || !visible[fleets[f]]) continue;
        const a1 = a0 + TWO_PI * m / total;
        ctx.beginPath(); ctx.moveTo(x, y); ctx.arc(x, y, r, a0, a1); ctx.closePath();
        ctx.fillStyle = P.fleet[fleets[f]]; ctx.fill();
        a0 = a1;
      }
      ctx.beginPath(); ctx.arc(x, y, r * 0.62, 0, TWO_PI);
      ctx.fillStyle = "rgba(11,17,25,0.92)"; ctx.fill();
      ctx.lineWidth = 1; ctx.strokeStyle = "rgba(230,237,243,0.6)"; ctx.stroke();
      ctx.fillStyle = "#e6edf3";
      ctx.fillText(digits(total), x, y + 0.5);
      clusterHit.push([x, y, r, c.lat[i], c.lon[i]]);
      drawn++;
    }
    stats.clustersDrawn = drawn;
  }

  // ---- clicks ----
  function onMapClick(e) {
    if (drawing) return drawClick(e);
    const cp = map.mouseEventToContainerPoint(e.originalEvent);
    const size = map.getSize();
    const x = cp.x + size.x * PAD, y = cp.y + size.y * PAD;
    for (const h of clusterHit) {
      if ((h[0] - x) ** 2 + (h[1] - y) ** 2 <= h[2] * h[2]) {
        map.setView([h[3], h[4]], Math.min(map.getZoom() + 2, cfg.maxZoom));
        return;
      }
    }
    let best = -1, bestD = 14 * 14;
    for (let i = 0; i < drawnN; i++) {
      const d = (drawnX[i] - x) ** 2 + (drawnY[i] - y) ** 2;
      if (d < bestD) { bestD = d; best = drawnSlot[i]; }
    }
    if (best >= 0) {
      stats.clicks++;
      selectedSlot = best;
      requestDraw();
      if (bridge) bridge.entityClicked(ids[best]);
    }
  }
  R.clickAt = function (la, lo) {  // tests: a real click where an entity is drawn
    const cp = map.latLngToContainerPoint([la, lo]);
    onMapClick({ originalEvent: { clientX: cp.x + map.getContainer().getBoundingClientRect().left, clientY: cp.y + map.getContainer().getBoundingClientRect().top }, latlng: L.latLng(la, lo) });
  };

  // ---- feature layers (alarms, CAP, geofences, plugins) ----
  const featureLayers = new Map();
  function symbolSvg(st) {
    const c = st.fill || st.color || "#4cc9f0";
    const r = st.radius_px || 7, s = 2 * r + 4, m = s / 2;
    let body;
    switch (st.symbol) {
      case "square": body = `<rect x="2" y="2" width="${2 * r}" height="${2 * r}"/>`; break;
      case "triangle": body = `<polygon points="${m},2 ${s - 2},${s - 2} 2,${s - 2}"/>`; break;
      case "diamond": body = `<polygon points="${m},1 ${s - 1},${m} ${m},${s - 1} 1,${m}"/>`; break;
      default: body = `<circle cx="${m}" cy="${m}" r="${r}"/>`;
    }
    const svg = `<svg width="${s}" height="${s}"><g fill="${c}" fill-opacity="${st.fill_opacity ?? 0.85}" stroke="#0b1119" stroke-width="1.5">${body}</g></svg>`;
    return { svg: svg, size: s };
  }
  function featureLayer(feature, layerKey) {
    const props = feature.properties || {};
    const st = props.style || {};
    const geom = feature.geometry || {};
    let layer;
    if (props.radius_m) {
      const c = geom.coordinates;
      layer = L.circle([c[1], c[0]], { radius: props.radius_m, color: st.color || "#4cc9f0", weight: st.weight ?? 2,
        opacity: st.opacity ?? 0.95, fillColor: st.fill || st.color || "#4cc9f0", fillOpacity: st.fill_opacity ?? 0.22,
        dashArray: st.dash || null, bubblingMouseEvents: false });
    } else if (geom.type === "Point") {
      const sym = symbolSvg(st);
      const html = (st.pulse ? `<span class="rasad-pulse" style="--pulse:${st.color || "#e5383b"}"></span>` : "") + sym.svg +
        (st.label ? `<span class="rasad-label">${escapeHtml(digits(st.label))}</span>` : "");
      layer = L.marker([geom.coordinates[1], geom.coordinates[0]], {
        icon: L.divIcon({ className: "rasad-feature", html: html, iconSize: [sym.size, sym.size] }),
        pane: layerKey === "alarms" ? "rasadAlarms" : "markerPane", keyboard: false, bubblingMouseEvents: false });
    } else {
      layer = L.geoJSON(feature, { style: { color: st.color || "#4cc9f0", weight: st.weight ?? 2, opacity: st.opacity ?? 0.95,
        fillColor: st.fill || st.color || "#4cc9f0", fillOpacity: st.fill_opacity ?? 0.22, dashArray: st.dash || null },
        bubblingMouseEvents: false });
    }
    const title = cfg.lang === "fa" ? props.title_fa || props.title_en : props.title_en || props.title_fa;
    if (title) layer.bindTooltip(escapeHtml(title), { direction: "top", className: "rasad-tip", sticky: geom.type !== "Point" });
    layer.on("click", function (ev) {
      if (drawing) return;
      L.DomEvent.stop(ev);
      stats.clicks++;
      if (bridge) bridge.featureClicked(layerKey, feature.id || props.id);
    });
    layer._rasadFeature = feature;
    return layer;
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function applyFeatures(msg) {
    for (const upd of msg.layers) {
      let entry = featureLayers.get(upd.key);
      if (upd.drop) {
        if (entry) { map.removeLayer(entry.group); featureLayers.delete(upd.key); }
        continue;
      }
      if (!entry) {
        const many = upd.count > 300 && typeof L.markerClusterGroup === "function";
        const group = many ? L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false }) : L.featureGroup();
        entry = { group: group, items: new Map(), visible: upd.visible !== false };
        featureLayers.set(upd.key, entry);
        if (entry.visible) group.addTo(map);
      }
      if (upd.reset) { entry.group.clearLayers(); entry.items.clear(); }
      for (const id of upd.removes || []) {
        const l = entry.items.get(id);
        if (l) { entry.group.removeLayer(l); entry.items.delete(id); }
      }
      for (const f of upd.upserts || []) {
        const old = entry.items.get(f.id);
        if (old) entry.group.removeLayer(old);
        const l = featureLayer(f, upd.key);
        entry.items.set(f.id, l);
        entry.group.addLayer(l);
      }
      if (upd.visible !== undefined) setLayerVisible(upd.key, upd.visible);
    }
  }
  function setLayerVisible(key, on) {
    const entry = featureLayers.get(key);
    if (entry) {
      entry.visible = on;
      if (on && !map.hasLayer(entry.group)) entry.group.addTo(map);
      if (!on && map.hasLayer(entry.group)) map.removeLayer(entry.group);
      return;
    }
    if (key === "districts") { on ? districts.addTo(map) : map.removeLayer(districts); return; }
    if (key === "roads") { on ? roads.addTo(map) : map.removeLayer(roads); return; }
    if (key === "heat") { if (heat) { on ? heat.addTo(map) : map.removeLayer(heat); } heatVisible = on; return; }
    visible[key] = on;
    if (key === "segments") roadById.forEach((l) => restyleRoad(l.feature.properties.id, l._rasadCode ?? -1));
    requestDraw();
  }

  // ---- heat overlay, trail, replay marker ----
  let heat = null, heatVisible = true, trail = null, ghost = null;
  function setHeat(c) {
    if (!c.url) { if (heat) map.removeLayer(heat); heat = null; return; }
    const bounds = [[c.south, c.west], [c.north, c.east]];
    if (heat) { heat.setUrl(c.url); heat.setBounds(L.latLngBounds(bounds)); }
    else {
      heat = L.imageOverlay(c.url, bounds, { pane: "rasadHeat", interactive: false, className: "rasad-heat" });
      if (heatVisible) heat.addTo(map);
    }
  }
  function setTrail(c) {
    if (trail) { map.removeLayer(trail); trail = null; }
    if (ghost) { map.removeLayer(ghost); ghost = null; }
    if (!c.coords || c.coords.length < 1) return;
    trail = L.polyline(c.coords, { color: "#ffffff", weight: 3, opacity: 0.85, dashArray: "6 5", interactive: false }).addTo(map);
  }
  function setGhost(c) {
    if (c.lat === undefined) { if (ghost) map.removeLayer(ghost); ghost = null; return; }
    if (!ghost) {
      ghost = L.circleMarker([c.lat, c.lon], { radius: 9, color: "#ffffff", weight: 3, fillColor: "#ff006e", fillOpacity: 0.9,
        interactive: false, pane: "rasadAlarms" }).addTo(map);
    } else ghost.setLatLng([c.lat, c.lon]);
  }

  // ---- geofence drawing ----
  let drawing = false, drawPts = [], drawLine = null;
  function setDrawing(on) {
    drawing = on;
    drawPts = [];
    if (drawLine) { map.removeLayer(drawLine); drawLine = null; }
    map.getContainer().classList.toggle("rasad-drawing", on);
    on ? map.doubleClickZoom.disable() : map.doubleClickZoom.enable();
  }
  function drawClick(e) {
    drawPts.push([e.latlng.lat, e.latlng.lng]);
    if (!drawLine) drawLine = L.polygon(drawPts, { color: "#80ffdb", weight: 2, dashArray: "4 4", fillOpacity: 0.1, interactive: false }).addTo(map);
    else drawLine.setLatLngs(drawPts);
  }
  function finishDrawing() {
    if (!drawing) return;
    if (drawPts.length >= 3 && bridge) {
      const ring = drawPts.map((p) => [p[1], p[0]]);
      ring.push(ring[0]);
      bridge.geofenceDrawn(JSON.stringify({ type: "Polygon", coordinates: [ring] }));
    }
    setDrawing(false);
  }
  R.drawPolygon = function (points) {  // tests: the same path a mouse takes
    setDrawing(true);
    for (const p of points) drawClick({ latlng: L.latLng(p[0], p[1]) });
    finishDrawing();
  };

  // ---- commands from Python ----
  function command(c) {
    switch (c.op) {
      case "select":
        selectedSlot = c.slot ?? -1;
        if (c.pan !== false && c.lat !== undefined) autoFit = false;
        if (c.lat !== undefined && c.pan !== false) map.setView([c.lat, c.lon], Math.max(map.getZoom(), c.zoom || 15), { animate: false });
        requestDraw();
        break;
      case "visibility": setLayerVisible(c.key, c.on); break;
      case "heat": setHeat(c); break;
      case "trail": setTrail(c); break;
      case "ghost": setGhost(c); break;
      case "draw": setDrawing(c.on); break;
      case "language":
        cfg.lang = c.lang;
        if (c.strings) { cfg.strings = c.strings; addZoomControl(); }
        labelDistricts(); requestDraw();
        break;
      case "fit": autoFit = true; fitCity(); break;
      case "reset": // the Python side lost track (reload): start from nothing
        alive.fill(0); high = 0; clusters = null; clusterMode = 0; requestDraw(); break;
    }
  }

  let zoomControl = null;
  function addZoomControl() {
    if (zoomControl) map.removeControl(zoomControl);
    const st = cfg.strings || {};
    zoomControl = L.control.zoom({ zoomInTitle: st.zoomIn || "+", zoomOutTitle: st.zoomOut || "-" }).addTo(map);
  }
  function labelDistricts() {
    districts.eachLayer(function (l) {
      const p = l.feature.properties;
      const name = cfg.lang === "fa" ? p.name_fa : p.name_en;
      if (l.getTooltip()) l.setTooltipContent(escapeHtml(name));
      else l.bindTooltip(escapeHtml(name), { permanent: true, direction: "center", className: "rasad-district-label", interactive: false });
    });
  }
  let autoFit = true;  // until the operator moves the map, keep the whole city in view as the view resizes
  function fitCity() {
    if (cfg.bbox) map.fitBounds([[cfg.bbox[1], cfg.bbox[0]], [cfg.bbox[3], cfg.bbox[2]]], { padding: [8, 8] });
  }

  // ---- base map tiles (local scheme or configured XYZ); the vector map stays underneath ----
  const tileStats = { loaded: 0, errors: 0 };
  function addBaseTiles(bm) {
    if (bm.kind === "vector" || !bm.url) return;
    const opts = { minZoom: cfg.minZoom, maxZoom: cfg.maxZoom, maxNativeZoom: bm.maxZoom, minNativeZoom: bm.minZoom,
      attribution: bm.attribution ? escapeHtml(bm.attribution) : "", crossOrigin: false };
    if (bm.bounds) opts.bounds = [[bm.bounds[1], bm.bounds[0]], [bm.bounds[3], bm.bounds[2]]];
    const layer = L.tileLayer(bm.url, opts);
    layer.on("tileload", function () { tileStats.loaded++; });
    layer.on("tileerror", function () { tileStats.errors++; });
    layer.addTo(map);
  }

  function sendView() {
    if (!bridge) return;
    const b = map.getBounds();
    bridge.view(map.getZoom(), b.getWest(), b.getSouth(), b.getEast(), b.getNorth());
  }

  // ---- frame timing (page side of the benchmark) ----
  let lastFrame = 0;
  function frameLoop(ts) {
    if (lastFrame) keep(stats.frames, ts - lastFrame);
    lastFrame = ts;
    requestAnimationFrame(frameLoop);
  }

  R.stats = function () {
    const mem = performance.memory ? { used: performance.memory.usedJSHeapSize, total: performance.memory.totalJSHeapSize } : null;
    let alive_n = 0;
    for (let s = 0; s < high; s++) alive_n += alive[s];
    return JSON.stringify({ batches: stats.batches, lastSeq: stats.lastSeq, applyMs: stats.applyMs, drawMs: stats.drawMs,
      frames: stats.frames, alive: alive_n, drawn: stats.drawn, clusters: stats.clustersDrawn, mem: mem, tiles: tileStats,
      clicks: stats.clicks, sprites: sprites.size, features: Array.from(featureLayers, ([k, e]) => [k, e.items.size]) });
  };
  R.entity = function (id) {  // tests: where and how an entity is drawn
    for (let s = 0; s < high; s++) if (alive[s] && ids[s] === id) return JSON.stringify({ slot: s, lat: lat[s], lon: lon[s], style: sty[s], heading: hd[s] });
    return "null";
  };
  R.trailLength = function () { return trail ? trail.getLatLngs().length : 0; };
  R.roadStyle = function (id) { const l = roadById.get(id); return l ? JSON.stringify(l.options) : "null"; };
  R.map = function () { return map; };

  R.boot = function (leafletMap, districtLayer, roadLayer, config) {
    map = leafletMap; cfg = config; P = cfg.palette; districts = districtLayer; roads = roadLayer;
    for (const code in P.kinds) { kindName[code] = P.kinds[code].name; kindDrawn[code] = P.kinds[code].drawn; }
    grow(1024);
    map.getContainer().style.background = P.background;
    map.attributionControl.setPrefix("");
    roads.eachLayer(function (l) { roadById.set(l.feature.properties.id, l); l._rasadBase = Object.assign({}, l.options); });
    labelDistricts();
    addBaseTiles(cfg.basemap);
    new LiveLayer().addTo(map);
    map.on("click", onMapClick);
    map.on("dblclick", function () { if (drawing) finishDrawing(); });
    map.on("contextmenu", function () { if (drawing) finishDrawing(); });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape" && drawing) setDrawing(false); if (e.key === "Enter" && drawing) finishDrawing(); });
    map.on("moveend", sendView);
    addZoomControl();
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    const container = map.getContainer();
    for (const ev of ["mousedown", "wheel", "keydown", "touchstart"]) container.addEventListener(ev, function () { autoFit = false; }, true);
    map.on("resize", function () { if (autoFit) fitCity(); });
    fitCity();
    requestAnimationFrame(frameLoop);
    if (typeof QWebChannel === "undefined" || !window.qt) return;  // opened outside the console
    new QWebChannel(qt.webChannelTransport, function (channel) {
      bridge = channel.objects.bridge;
      bridge.batch.connect(function (b64) {
        const t0 = performance.now();
        let seq = 0;
        try {
          const b = decode(b64);
          seq = b.seq;
          apply(b);
        } catch (err) {
          bridge.pageError("batch: " + err);
        }
        const applyMs = performance.now() - t0;
        keep(stats.applyMs, applyMs);
        stats.batches++; stats.lastSeq = seq;
        requestAnimationFrame(function () {
          const drawMs = hidden ? 0 : draw();
          bridge.ack(seq, applyMs, drawMs);
        });
      });
      bridge.features.connect(function (json) {
        try { applyFeatures(JSON.parse(json)); } catch (err) { bridge.pageError("features: " + err); }
      });
      bridge.command.connect(function (json) {
        try { command(JSON.parse(json)); } catch (err) { bridge.pageError("command: " + err); }
      });
      setInterval(function () { bridge.tiles(tileStats.loaded, tileStats.errors); }, 1000);
      bridge.ready();
      sendView();
    });
  };
})();
